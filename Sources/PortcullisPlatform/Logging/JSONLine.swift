import Logging

/// One JSON log line, written by hand into bytes: one pass, no intermediate objects. Every
/// access line goes through here, and appending to a `String` piece by piece cost more than
/// the rest of the line.
struct JSONLine {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 384) {
        bytes.reserveCapacity(capacity)
    }

    /// The finished line as text.
    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Appends JSON punctuation or other text that needs no escaping.
    mutating func raw(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Appends text the caller knows needs no escaping: a timestamp, a number, a level.
    mutating func raw(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// Appends `text` as a quoted JSON string.
    mutating func string(_ text: String) {
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

    /// Appends a field value: strings quoted, numbers and flags bare, lists and maps as JSON.
    mutating func value(_ value: Logger.MetadataValue) {
        switch value {
        case .string(let text): string(text)
        case .stringConvertible(let convertible):
            switch convertible {
            case let number as Int: raw(String(number))
            case let number as Double where number.isFinite: raw(String(number))
            case let flag as Bool: raw(flag ? "true" : "false")
            default: string(convertible.description)
            }
        case .array(let items):
            raw("[")
            for (index, item) in items.enumerated() {
                if index > 0 { raw(",") }
                self.value(item)
            }
            raw("]")
        case .dictionary(let members):
            raw("{")
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { raw(",") }
                string(key)
                raw(":")
                if let member = members[key] { self.value(member) }
            }
            raw("}")
        }
    }

    /// A field value as plain text, as journal fields carry it: strings unquoted, everything
    /// else as JSON.
    static func plain(_ value: Logger.MetadataValue) -> String {
        if case .string(let text) = value { return text }
        var line = JSONLine(capacity: 16)
        line.value(value)
        return line.text
    }
}
