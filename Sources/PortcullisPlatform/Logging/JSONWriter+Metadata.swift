import Logging

extension JSONWriter {
    /// Appends a log field value: strings quoted, numbers and flags bare, lists and maps as JSON.
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
        var writer = JSONWriter(capacity: 16)
        writer.value(value)
        return writer.text
    }
}
