import PortcullisPlatform
import Testing

@Suite struct ListenAddressTests {
    @Test(arguments: [
        ("127.0.0.1:8080", ListenAddress.tcp(host: "127.0.0.1", port: 8080)),
        ("localhost:0", .tcp(host: "localhost", port: 0)),
        ("[::1]:443", .tcp(host: "::1", port: 443)),
        ("unix:/run/portcullis/http.sock", .unix(path: "/run/portcullis/http.sock")),
    ])
    func readsEveryDocumentedForm(text: String, expected: ListenAddress) throws {
        #expect(try ListenAddress.parse(text).get() == expected)
        #expect(expected.description == text)
    }

    @Test(arguments: ["8080", "127.0.0.1", "127.0.0.1:70000", "::1:80", "[::1:80", "[127.0.0.1]:80", "unix:relative.sock", "ho st:80", ":80"])
    func refusesMalformedAddresses(text: String) {
        guard case .failure(let error) = ListenAddress.parse(text) else {
            Issue.record("\(text) was accepted")
            return
        }
        #expect(error.message.hasPrefix("\"\(text)\" is not a listen address"))
    }
}
