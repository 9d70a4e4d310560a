import PortcullisHTTP
import Testing

@Suite struct ContentCodingTests {
    @Test(arguments: [
        ("gzip", ContentCoding.gzip),
        ("gzip, deflate, br", .gzip),
        ("deflate", .deflate),
        ("br, deflate", .deflate),
        ("GZIP", .gzip),
        ("x-gzip", .gzip),
        ("gzip;q=0.5, deflate;q=0.8", .deflate),
        ("gzip ; q=0, deflate", .deflate),
        ("deflate;q=0.5, gzip;q=0.5", .gzip),
        ("*", .gzip),
        ("*;q=0.3, gzip;q=0", .deflate),
    ] as [(String, ContentCoding)])
    func theClientsPreferredCodingIsChosen(header: String, expected: ContentCoding) {
        #expect(ContentCoding.negotiate(header) == expected)
    }

    @Test(arguments: [
        "", "identity", "br", "gzip;q=0", "gzip;q=0, deflate;q=0", "*;q=0",
        "gzip;q=2", "gzip;q=abc", ",,,", ";q=1",
    ])
    func nothingIsChosenWhenNoSupportedCodingIsAccepted(header: String) {
        #expect(ContentCoding.negotiate(header) == nil)
    }

    @Test func noHeaderMeansNoCoding() {
        #expect(ContentCoding.negotiate(nil) == nil)
    }
}
