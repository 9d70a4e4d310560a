import PortcullisPlatform
import Testing

@Suite struct ASCIISetTests {
    @Test func holdsLettersDigitsAndTheGivenBytesOnly() {
        let set = ASCIISet(alphanumericsAnd: ".-:[]")
        #expect(set.containsAll("api-1.example.com:8443"))
        #expect(set.containsAll("[::1]:80"))
        #expect(set.containsAll("AZaz09"))
        #expect(set.containsAll(""))
        for refused in ["a b", "a/b", "a@b", "a_b", "é", "a\u{0}", "\u{7f}", "a\r\nb"] {
            #expect(!set.containsAll(refused), "\(refused.debugDescription)")
        }
    }

    @Test func everyByteIsTestedAtItsOwnBit() {
        let set = ASCIISet(alphanumericsAnd: "?~")
        for byte in UInt8.min...UInt8.max {
            let expected = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                || byte == UInt8(ascii: "?") || byte == UInt8(ascii: "~")
            #expect(set.contains(byte) == expected, "byte \(byte)")
        }
    }
}
