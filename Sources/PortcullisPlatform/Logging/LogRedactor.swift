import Logging

/// Keeps secrets out of log lines: fields whose names say they hold a credential, and any
/// configured secret value wherever it appears.
public struct LogRedactor: Sendable {
    public static let replacement = "<redacted>"

    /// Field-name fragments that mark a value as a credential.
    static let sensitiveFragments = ["password", "passwd", "secret", "token", "authorization", "cookie", "api_key", "apikey", "credential"]

    /// Exact secret values (signing keys and the like), at least 8 bytes each.
    let secrets: [String]

    public init(secrets: [String]) {
        self.secrets = secrets.filter { $0.utf8.count >= 8 }
    }

    static func isSensitive(field: String) -> Bool {
        let lowered = field.lowercased()
        return sensitiveFragments.contains { lowered.contains($0) }
    }

    func scrub(_ text: String) -> String {
        guard !secrets.isEmpty else { return text }
        var text = text
        for secret in secrets where text.contains(secret) {
            text = text.replacing(secret, with: Self.replacement)
        }
        return text
    }

    func scrub(field: String, _ value: Logger.MetadataValue) -> Logger.MetadataValue {
        if Self.isSensitive(field: field) { return .string(Self.replacement) }
        switch value {
        case .string(let text): return .string(scrub(text))
        case .stringConvertible(let convertible):
            if convertible is Int || convertible is Double || convertible is Bool { return value }
            return .string(scrub(convertible.description))
        case .array(let items): return .array(items.map { scrub(field: field, $0) })
        case .dictionary(let members):
            return .dictionary(Dictionary(uniqueKeysWithValues: members.map { ($0, scrub(field: $0, $1)) }))
        }
    }
}
