import Foundation
@testable import PortcullisApp
@testable import PortcullisHTTP
import PortcullisPlatform
import Testing

/// `User.write(to:)` is the JSON its `Encodable` conformance gives through `JSONResponse`'s
/// encoder: byte for byte for plain values, the same JSON for text that needs escaping.
@Suite struct UserJSONTests {
    static let users = [
        User(id: 1, username: "olga", email: "olga@example.com", bio: nil, createdAt: Date(timeIntervalSince1970: 1_764_900_000.123)),
        User(id: 9_007_199_254_740_993, username: "max_1", email: nil, bio: "Likes /paths/ and ünïcode ✓", createdAt: Date(timeIntervalSince1970: 0)),
        User(id: 3, username: "q", email: "a\"b@example.com", bio: "line\nbreak\ttab \"quoted\" back\\slash \u{8}\u{1}", createdAt: Date(timeIntervalSince1970: -1.5)),
    ]

    static func written(_ user: User) -> Data {
        var json = JSONWriter()
        user.write(to: &json)
        return Data(json.bytes)
    }

    @Test(arguments: users)
    func writtenJSONIsTheEncodedJSON(_ user: User) throws {
        let encoded = try JSONResponse.encoder.encode(user)
        let written = Self.written(user)
        let parsedEncoded = try JSONSerialization.jsonObject(with: encoded) as? NSDictionary
        let parsedWritten = try JSONSerialization.jsonObject(with: written) as? NSDictionary
        #expect(parsedWritten != nil && parsedWritten == parsedEncoded, "\(String(decoding: written, as: UTF8.self))")
        if user.bio?.unicodeScalars.allSatisfy({ $0.value >= 0x20 }) ?? true {
            #expect(String(decoding: written, as: UTF8.self) == String(decoding: encoded, as: UTF8.self))
        }
    }
}
