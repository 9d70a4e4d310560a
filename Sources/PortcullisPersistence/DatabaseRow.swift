public import Foundation

/// One result row, by column name.
public struct DatabaseRow: Sendable {
    let values: [String: DatabaseValue]

    init(_ values: [String: DatabaseValue]) { self.values = values }

    public subscript(column: String) -> DatabaseValue { values[column] ?? .null }

    /// The column as an integer; throws when it is absent or of another type.
    public func int(_ column: String) throws -> Int64 {
        switch self[column] {
        case .integer(let value): return value
        default: throw StoreError.unexpectedColumn(column)
        }
    }

    /// The column as text, nil when NULL.
    public func optionalString(_ column: String) throws -> String? {
        switch self[column] {
        case .null: return nil
        case .text(let value): return value
        default: throw StoreError.unexpectedColumn(column)
        }
    }

    /// The column as text; throws when it is NULL or of another type.
    public func string(_ column: String) throws -> String {
        guard let value = try optionalString(column) else { throw StoreError.unexpectedColumn(column) }
        return value
    }

    /// The column as a date: a `timestamptz` on PostgreSQL, seconds since 1970 on SQLite.
    public func date(_ column: String) throws -> Date {
        switch self[column] {
        case .date(let value): return value
        case .double(let seconds): return Date(timeIntervalSince1970: seconds)
        case .integer(let seconds): return Date(timeIntervalSince1970: Double(seconds))
        default: throw StoreError.unexpectedColumn(column)
        }
    }
}
