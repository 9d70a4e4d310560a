/// A statement whose interpolated values travel as bind parameters, never as SQL text:
/// `"SELECT * FROM users WHERE id = \(id)"` sends `id` as `?` to SQLite and `$1` to PostgreSQL.
public struct SQL: Sendable, ExpressibleByStringInterpolation {
    enum Part: Sendable {
        case text(String)
        case bind(DatabaseValue)
    }

    private(set) var parts: [Part]

    public init(stringLiteral value: String) { parts = [.text(value)] }

    public init(stringInterpolation: Interpolation) { parts = stringInterpolation.parts }

    /// One statement built from two pieces: `lhs`'s text and binds, then `rhs`'s.
    public static func + (lhs: SQL, rhs: SQL) -> SQL {
        var joined = lhs
        joined.parts += rhs.parts
        return joined
    }

    /// The text with placeholders in `dialect`'s style, and the values in order.
    func rendered(for dialect: SQLDialect) -> (text: String, binds: [DatabaseValue]) {
        var text = ""
        var binds: [DatabaseValue] = []
        for part in parts {
            switch part {
            case .text(let fragment):
                text += fragment
            case .bind(let value):
                binds.append(value)
                text += dialect.placeholder(binds.count)
            }
        }
        return (text, binds)
    }

    /// Builds the parts: literal text as SQL, interpolated values as binds.
    public struct Interpolation: StringInterpolationProtocol {
        var parts: [Part] = []

        public init(literalCapacity: Int, interpolationCount: Int) {}

        public mutating func appendLiteral(_ literal: String) { parts.append(.text(literal)) }
        public mutating func appendInterpolation(_ value: DatabaseValue) { parts.append(.bind(value)) }
        public mutating func appendInterpolation(_ value: String) { parts.append(.bind(.text(value))) }
        public mutating func appendInterpolation(_ value: String?) { parts.append(.bind(value.map(DatabaseValue.text) ?? .null)) }
        public mutating func appendInterpolation(_ value: Int) { parts.append(.bind(.integer(Int64(value)))) }
        public mutating func appendInterpolation(_ value: Int64) { parts.append(.bind(.integer(value))) }
        public mutating func appendInterpolation(_ value: Double) { parts.append(.bind(.double(value))) }
        public mutating func appendInterpolation(_ value: Bool) { parts.append(.bind(.bool(value))) }
    }
}

/// The SQL flavour of a backend, where statements must differ.
public enum SQLDialect: String, Sendable {
    case sqlite
    case postgres

    func placeholder(_ position: Int) -> String {
        switch self {
        case .sqlite: "?"
        case .postgres: "$\(position)"
        }
    }
}
