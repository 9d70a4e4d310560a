import HTTPTypes
@testable import PortcullisApp
import Testing

@Suite struct ProxyHeadersTests {
    static let private1 = HTTPField.Name("X-Private")!
    static let private2 = HTTPField.Name("X-Other")!

    @Test func fieldsNamedByConnectionGoWithTheHopByHopOnesWhateverTheirSpacingAndCase() {
        var fields = HTTPFields()
        fields[.connection] = "keep-alive,\tx-PRIVATE , close"
        fields.append(HTTPField(name: .connection, value: " X-Other"))
        fields[Self.private1] = "secret"
        fields[Self.private2] = "also"
        fields[ProxyHeaders.keepAlive] = "timeout=5"
        fields[.contentType] = "text/plain"
        let kept = ProxyHeaders.endToEnd(fields)
        #expect(kept.map(\.name) == [.contentType])
    }

    @Test func keepAliveAndCloseNameNoOtherField() {
        var fields = HTTPFields()
        fields[.connection] = " keep-alive , close "
        fields[.contentType] = "application/json"
        fields[.contentLength] = "15"
        let kept = ProxyHeaders.endToEnd(fields)
        #expect(kept.map(\.name) == [.contentType, .contentLength])
    }

    @Test func withoutHopByHopFieldsTheFieldsPassUnchanged() {
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        fields[.cacheControl] = "no-store"
        #expect(ProxyHeaders.endToEnd(fields) == fields)
    }
}
