import PortcullisPlatform
import Testing

@Suite struct ASCIISearchTests {
    @Test func containsIgnoresASCIICaseAnywhere() {
        #expect(ASCIISearch.contains("private, No-Store", "no-store"))
        #expect(ASCIISearch.contains("X-API-KEY", "api_key") == false)
        #expect(ASCIISearch.contains("x_Api_Key_2", "api_key"))
        #expect(ASCIISearch.contains("no-stor", "no-store") == false)
        #expect(ASCIISearch.contains("", "a") == false)
        #expect(ASCIISearch.contains("Ünïcode TOKEN", "token"))
    }

    @Test func equalsPrefixAndSuffixIgnoreASCIICase() {
        #expect(ASCIISearch.equals("Application/JSON", "application/json"))
        #expect(ASCIISearch.equals("application/json ", "application/json") == false)
        #expect(ASCIISearch.hasPrefix("TEXT/html", "text/"))
        #expect(ASCIISearch.hasPrefix("tex", "text/") == false)
        #expect(ASCIISearch.hasSuffix("application/problem+JSON", "+json"))
        #expect(ASCIISearch.hasSuffix("json", "+json") == false)
    }

    @Test func mediaTypeIsWhatComesBeforeTheParameters() {
        #expect(ASCIISearch.mediaType("  application/ld+json \t; charset=utf-8") == "application/ld+json")
        #expect(ASCIISearch.mediaType("text/plain") == "text/plain")
        #expect(ASCIISearch.mediaType(";x") == "")
        #expect(ASCIISearch.mediaType(" \t ") == "")
        #expect(ASCIISearch.mediaType("") == "")
        #expect(ASCIISearch.mediaType("täxt/é ;q") == "täxt/é")
    }

    @Test func listContainsFindsWholeElementsIgnoringCaseAndSpaces() {
        #expect(ASCIISearch.listContains("Origin", "origin"))
        #expect(ASCIISearch.listContains("accept-encoding, ORIGIN", "Origin"))
        #expect(ASCIISearch.listContains("Accept-Encoding ,\tOrigin\t", "origin"))
        #expect(ASCIISearch.listContains("a,,*", "*"))
        #expect(!ASCIISearch.listContains("Origins, Accept-Encoding", "Origin"))
        #expect(!ASCIISearch.listContains("X-Origin", "Origin"))
        #expect(!ASCIISearch.listContains("", "Origin"))
        #expect(!ASCIISearch.listContains("Orig", "Origin"))
    }
}
