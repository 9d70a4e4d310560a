import PortcullisPlatform
import Testing

@Suite struct JSONWriterTests {
    private func written(_ write: (inout JSONWriter) -> Void) -> String {
        var writer = JSONWriter()
        write(&writer)
        return writer.text
    }

    @Test func integersReadAsStringWritesThem() {
        for value in [0, 7, -7, 10, 99, 100, 1_000_000, 123_456_789, Int.max, Int.min] {
            #expect(written { $0.integer(value) } == String(value))
        }
    }

    /// Every value with three decimals the access log writes (milliseconds), and their negatives,
    /// come out exactly as `String(Double)` writes them.
    @Test func millisecondsReadAsStringWritesThem() {
        var thousandths = Array(0...20_000) + [99_999, 100_000, 123_456_789, 999_999_999_999]
        var generator = SystemRandomNumberGenerator()
        thousandths += (0..<20_000).map { _ in Int.random(in: 0..<999_999_999_999, using: &generator) }
        for count in thousandths {
            for value in [Double(count) / 1000, -Double(count) / 1000] {
                #expect(written { $0.number(value) } == String(value), "\(count)")
            }
        }
    }

    /// Values outside the digit-by-digit path go through `String(Double)`.
    @Test func otherNumbersAsStringWritesThem() {
        for value in [0.0001, 1e-5, 0.1 + 0.2, 1.0 / 3, 1e9, 1e9 + 0.5, 123_456_789_012.5, 1e16, 1e300, Double.leastNonzeroMagnitude, -2.5e-7] {
            #expect(written { $0.number(value) } == String(value))
        }
    }

    @Test func valuesUseThem() {
        let object: JSONValue = ["a": .int(1), "b": .double(2.5), "c": .int(-3), "d": .double(1e-7)]
        #expect(object.jsonText == #"{"a":1,"b":2.5,"c":-3,"d":1e-07}"#)
    }
}
