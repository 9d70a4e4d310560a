import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps secrets out of log lines: fields whose names say they hold a credential, and any
/// configured secret value wherever it appears.
///
/// It runs on every field of every log line (the access log included), so both searches work
/// on UTF-8 bytes: with Foundation's `String.contains` and `lowercased()` they took a fifth
/// of a request's CPU.
public struct LogRedactor: Sendable {
    public static let replacement = "<redacted>"

    /// Field-name fragments that mark a value as a credential, lower-case ASCII.
    static let sensitiveFragments: [StaticString] = ["password", "passwd", "secret", "token", "authorization", "cookie", "api_key", "apikey", "credential"]

    /// The value types that are written as they are: `Int`, `Double`, `Bool`.
    private static let plainTypes = [ObjectIdentifier(Int.self), ObjectIdentifier(Double.self), ObjectIdentifier(Bool.self)]

    /// Exact secret values (signing keys and the like), at least 8 bytes each.
    let secrets: [String]
    /// The length of the shortest secret: text shorter than that holds none, which settles
    /// most fields of an access line (a method, a client address, a short path) unsearched.
    let shortest: Int

    public init(secrets: [String]) {
        self.secrets = secrets.filter { $0.utf8.count >= 8 }
        shortest = self.secrets.map(\.utf8.count).min() ?? .max
    }

    /// Whether the field name contains a sensitive fragment, ignoring ASCII case.
    static func isSensitive(field: String) -> Bool {
        sensitiveFragments.contains { ASCIISearch.contains(field, $0) }
    }

    func scrub(_ text: String) -> String {
        guard text.utf8.count >= shortest else { return text }
        var text = text
        for secret in secrets where Self.contains(&text, secret) {
            text = text.replacing(secret, with: Self.replacement)
        }
        return text
    }

    /// Whether `needle` occurs in `text`, by bytes: `memchr` finds each candidate first byte
    /// (an access line searches each of its fields for every secret).
    private static func contains(_ text: inout String, _ needle: String) -> Bool {
        var needle = needle
        return text.withUTF8 { haystack in
            needle.withUTF8 { pattern in
                guard let start = haystack.baseAddress, let wanted = pattern.baseAddress, pattern.count <= haystack.count else {
                    return false
                }
                let last = start + (haystack.count - pattern.count)
                var from = start
                while from <= last, let hit = memchr(from, Int32(pattern[0]), last - from + 1) {
                    let candidate = UnsafePointer(hit.assumingMemoryBound(to: UInt8.self))
                    if memcmp(candidate, wanted, pattern.count) == 0 { return true }
                    from = candidate + 1
                }
                return false
            }
        }
    }

    func scrub(field: String, _ value: Logger.MetadataValue) -> Logger.MetadataValue {
        redacted(field: field, value) ?? value
    }

    /// The value with its secrets replaced, or nil when it holds none (the common case, which
    /// then costs no copy).
    func redacted(field: String, _ value: Logger.MetadataValue) -> Logger.MetadataValue? {
        if Self.isSensitive(field: field) { return .string(Self.replacement) }
        guard !secrets.isEmpty else { return nil }
        switch value {
        case .string(var text):
            guard text.utf8.count >= shortest else { return nil }
            return secrets.contains(where: { Self.contains(&text, $0) }) ? .string(scrub(text)) : nil
        case .stringConvertible(let convertible):
            // Numbers and flags hold no secret. Compared by type: three dynamic casts per field
            // were a visible part of every access line.
            if Self.plainTypes.contains(ObjectIdentifier(type(of: convertible))) { return nil }
            let text = convertible.description
            let clean = scrub(text)
            return clean == text ? nil : .string(clean)
        case .array(let items):
            return items.contains { redacted(field: field, $0) != nil } ? .array(items.map { scrub(field: field, $0) }) : nil
        case .dictionary(let members):
            guard members.contains(where: { redacted(field: $0.key, $0.value) != nil }) else { return nil }
            return .dictionary(Dictionary(uniqueKeysWithValues: members.map { ($0, scrub(field: $0, $1)) }))
        }
    }
}
