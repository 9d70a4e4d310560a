import Logging

extension JSONWriter {
    /// Appends a log field value: strings quoted, numbers and flags bare, lists and maps as JSON.
    mutating func value(_ value: Logger.MetadataValue) {
        switch value {
        case .string(let text): string(text)
        case .stringConvertible(let convertible):
            switch convertible {
            case let number as Int: integer(number)
            case let number as Double where number.isFinite: self.number(number)
            case let flag as Bool: raw(flag ? "true" : "false")
            default: string(convertible.description)
            }
        case .array(let items): array(items) { $0.value($1) }
        case .dictionary(let members): object(members) { $0.value($1) }
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
