import PortcullisPlatform

/// One field of a JSON request body and the rules it must meet. The same rule validates the
/// request and describes the field in `/openapi.json`, so the two cannot disagree.
public struct FieldRule: Sendable {
    /// What a field holds.
    public enum Kind: Sendable {
        /// A string of `minLength...maxLength` Unicode scalars; `allowed` lists the characters
        /// it may contain (as a regex character class body, `A-Za-z0-9_.-`), `format` a
        /// JSON Schema format the server checks (`email`).
        case string(minLength: Int, maxLength: Int, allowed: CharacterClass? = nil, format: StringFormat? = nil)
        /// An array of `minItems...maxItems` JSON numbers.
        case numbers(minItems: Int, maxItems: Int)
    }

    /// The formats the server checks.
    public enum StringFormat: String, Sendable {
        case email
    }

    public let name: String
    public let kind: Kind
    public let required: Bool
    public let summary: String

    public init(_ name: String, _ kind: Kind, required: Bool = true, summary: String) {
        self.name = name
        self.kind = kind
        self.required = required
        self.summary = summary
    }

    /// The problem with `value`, or nil when it is acceptable.
    func problem(with value: JSONValue) -> String? {
        switch kind {
        case .string(let minLength, let maxLength, let allowed, let format):
            guard case .string(let text) = value else { return "must be a string" }
            let length = text.unicodeScalars.count
            if length < minLength { return "must be at least \(minLength) characters" }
            if length > maxLength { return "must be at most \(maxLength) characters" }
            if let allowed, !text.unicodeScalars.allSatisfy(allowed.contains) {
                return "may contain only \(allowed.description)"
            }
            if format == .email, !EmailAddress.isValid(text) { return "must be a valid email address" }
            return nil
        case .numbers(let minItems, let maxItems):
            guard case .array(let items) = value else { return "must be an array of numbers" }
            if items.count < minItems { return "must have at least \(minItems) items" }
            if items.count > maxItems { return "must have at most \(maxItems) items" }
            for item in items {
                switch item {
                case .int, .double: continue
                default: return "must contain only numbers"
                }
            }
            return nil
        }
    }
}

/// A set of characters written as a regex character class body, such as `a-z0-9_.-`: ranges
/// and single characters, a `-` last meaning itself.
public struct CharacterClass: Sendable, CustomStringConvertible {
    public let description: String
    private let ranges: [ClosedRange<Unicode.Scalar>]

    public init(_ body: String) {
        description = body
        var scalars = Array(body.unicodeScalars)[...]
        var ranges: [ClosedRange<Unicode.Scalar>] = []
        while let first = scalars.popFirst() {
            if scalars.count >= 2, scalars.first == "-" {
                scalars.removeFirst()
                let last = scalars.removeFirst()
                ranges.append(first...last)
            } else {
                ranges.append(first...first)
            }
        }
        self.ranges = ranges
    }

    public func contains(_ scalar: Unicode.Scalar) -> Bool { ranges.contains { $0.contains(scalar) } }

    /// The JSON Schema `pattern` for a whole string of these characters.
    public var pattern: String { "^[\(description)]*$" }
}
