import Foundation
import PortcullisPlatform
import Testing

@Suite struct JSONParsingTests {
    @Test("reads what JSONDecoder reads, to the same value", arguments: [
        #"{"username":"alice","email":"a@example.com","age":41,"tags":["x","y"],"bio":null,"admin":false}"#,
        #"  [1, -2, 3.5, -0.25, 1e3, 2E-2, 6.02e+23, 0, -0, 2.0, 1.5e1, 1e19, -1e2]  "#,
        #"{"escapes":"q\" b\\ s\/ \b\f\n\r\t é \u00e9 \ud83d\ude00 \u0000"}"#,
        #"{"nested":{"a":[{"b":[[]]},{}]},"empty":""}"#,
        #""just a string""#, "true", "null", "12345678901234567890", "9223372036854775807",
        "{\"raw\":\"日本語 ✓\"}",
    ])
    func agreesWithFoundation(text: String) throws {
        let ours = try JSONValue(parsing: text.utf8)
        let foundation = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(ours == foundation)
    }

    @Test func valuesComeOutTyped() throws {
        let value = try JSONValue(parsing: #"{"i":7,"e":2.5e1,"d":7.5,"big":12345678901234567890,"s":"\u00e9\ud83d\ude00","dup":1,"dup":2}"#.utf8)
        #expect(value == .object([
            "i": .int(7), "e": .int(25), "d": .double(7.5), "big": .double(1.2345678901234567e19), "s": .string("é😀"), "dup": .int(2),
        ]))
    }

    @Test("refuses what RFC 8259 refuses", arguments: [
        "", " ", "nul", "tru", "{", "[1,]", #"{"a":1,}"#, "{'a':1}", "{a:1}", #"{"a" 1}"#, #"{"a":1}}"#, "[1 2]",
        "01", "1.", ".5", "+1", "-", "1e", "1e+", "NaN", "Infinity", "1e400", "0x10",
        "\"tab\there\"", "\"line\nbreak\"", #""\x""#, #""\u12""#, #""\ud800""#, #""\udc00""#, #""\ud800\u0041""#,
        "\"unterminated", "// comment\n1", "\u{FEFF}1", "1 2", "[]x",
    ])
    func refusesMalformed(text: String) {
        #expect(throws: JSONValue.ParseError.malformed) { try JSONValue(parsing: text.utf8) }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: JSONValue.ParseError.malformed) { try JSONValue(parsing: [0x22, 0xFF, 0xFE, 0x22]) }
        #expect(throws: JSONValue.ParseError.malformed) { try JSONValue(parsing: [0x22, 0xC3, 0x22]) }
    }

    @Test func nestingStopsAtTheLimit() throws {
        let atLimit = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        #expect(try JSONValue(parsing: atLimit.utf8, maxDepth: 32) != .null)
        let deeper = String(repeating: "[{\"a\":", count: 50_000)
        #expect(throws: JSONValue.ParseError.tooDeep) { try JSONValue(parsing: deeper.utf8, maxDepth: 32) }
        #expect(throws: JSONValue.ParseError.tooDeep) { try JSONValue(parsing: ("[" + atLimit + "]").utf8, maxDepth: 32) }
    }

    @Test func readsNonContiguousBytes() throws {
        let bytes = #"{"a":[1,"b"]}"#.utf8.lazy.map { $0 }
        #expect(try JSONValue(parsing: bytes) == .object(["a": .array([.int(1), .string("b")])]))
    }

    @Test("writes text that reads back to the same value", arguments: [
        JSONValue.object(["b": .array([.int(-3), .double(2.5), .bool(true), .null]), "a": .string("q\" b\\ s/ \u{8}\n\r\t\u{1F} é 😀")]),
        .string(""), .object([:]), .array([]), .int(Int.max),
    ])
    func writesWhatItReads(value: JSONValue) throws {
        let text = value.jsonText
        #expect(try JSONValue(parsing: text.utf8) == value)
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) == value)
    }

    @Test func writesKeysSortedAndCompact() {
        #expect(JSONValue.object(["b": .int(1), "a": ["y": "/", "x": .null]]).jsonText == #"{"a":{"x":null,"y":"/"},"b":1}"#)
        #expect(JSONValue.string("\u{1}\u{8}").jsonText == #""\u0001\u0008""#)
    }
}
