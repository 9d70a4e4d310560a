/// JSON text written by hand into bytes: one pass, no intermediate objects, object keys in
/// sorted order. Every log line and error body is written here, so it builds neither an
/// encoder's intermediate containers nor a `String` piece by piece.
///
/// Strings escape `"`, `\`, and control characters (`\n`, `\r`, `\t`, else `\u00XX`); `/` and
/// non-ASCII characters are written as they are.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 384) {
        bytes.reserveCapacity(capacity)
    }

    /// What was written, as text.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Appends JSON punctuation or other text that needs no escaping.
    public mutating func raw(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Appends JSON text written earlier, as it is.
    public mutating func append(_ json: [UInt8]) {
        bytes.append(contentsOf: json)
    }

    /// Appends text the caller knows needs no escaping: a timestamp, a number, a level.
    /// (Literals go to ``raw(_:)``, which copies their bytes without making a `String`.)
    public mutating func verbatim(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// Appends `text` as a quoted JSON string.
    public mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            guard utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
                bytes.append(contentsOf: utf8)
                return
            }
            for byte in utf8 { escape(byte) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func escape(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): raw("\\\"")
        case UInt8(ascii: "\\"): raw("\\\\")
        case UInt8(ascii: "\n"): raw("\\n")
        case UInt8(ascii: "\r"): raw("\\r")
        case UInt8(ascii: "\t"): raw("\\t")
        case ..<0x20:
            raw("\\u00")
            bytes.append(Self.hexDigits[Int(byte >> 4)])
            bytes.append(Self.hexDigits[Int(byte & 0xF)])
        default:
            // Bytes of multi-byte characters are copied as they are: JSON is UTF-8.
            bytes.append(byte)
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends `value` in decimal, as `String(value)` writes it.
    public mutating func integer(_ value: Int) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        digits(UInt64(value.magnitude))
    }

    /// Appends a finite `value` as `String(value)` writes it (`12.5`, `3.0`, `1e-05`). A value
    /// with at most three decimals below 10⁹ — the access log's milliseconds — is written digit
    /// by digit: no other decimal that short reads back as the same `Double` at that size, so
    /// the shortest round-trip form `String` prints is those digits.
    public mutating func number(_ value: Double) {
        let thousandths = (value * 1000).rounded()
        guard value.magnitude < 1e9, thousandths / 1000 == value else {
            verbatim(String(value))
            return
        }
        if value.sign == .minus { bytes.append(UInt8(ascii: "-")) }
        var (whole, fraction) = UInt64(thousandths.magnitude).quotientAndRemainder(dividingBy: 1000)
        digits(whole)
        bytes.append(UInt8(ascii: "."))
        // Three places, trailing zeros dropped, at least one kept: `.5`, `.05`, `.125`, `.0`.
        var divisor: UInt64 = 100
        while divisor > 1, fraction % 10 == 0 {
            fraction /= 10
            divisor /= 10
        }
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: fraction / divisor % 10))
            divisor /= 10
        }
    }

    private mutating func digits(_ value: UInt64) {
        var value = value
        var reversed: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &reversed) { scratch in
            repeat {
                scratch[count] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value % 10)
                value /= 10
                count += 1
            } while value != 0
            for index in stride(from: count - 1, through: 0, by: -1) { bytes.append(scratch[index]) }
        }
    }

    /// Appends a value, object keys sorted.
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: raw("null")
        case .bool(let flag): raw(flag ? "true" : "false")
        case .int(let number): integer(number)
        case .double(let number) where number.isFinite: self.number(number)
        case .double: raw("null")
        case .string(let text): string(text)
        case .array(let items): array(items) { $0.value($1) }
        case .object(let members): object(members) { $0.value($1) }
        }
    }

    /// Appends `[item,…]`, each item written by `write`.
    mutating func array<Item>(_ items: [Item], _ write: (inout JSONWriter, Item) -> Void) {
        raw("[")
        for (index, item) in items.enumerated() {
            if index > 0 { raw(",") }
            write(&self, item)
        }
        raw("]")
    }

    /// Appends `{"key":member,…}` in sorted key order, each member written by `write`.
    mutating func object<Member>(_ members: [String: Member], _ write: (inout JSONWriter, Member) -> Void) {
        raw("{")
        for (index, (key, member)) in members.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { raw(",") }
            string(key)
            raw(":")
            write(&self, member)
        }
        raw("}")
    }
}

extension JSONValue {
    /// The value as compact JSON text, object keys sorted.
    public var jsonText: String {
        var writer = JSONWriter(capacity: 128)
        writer.value(self)
        return writer.text
    }
}
