public import Foundation

/// A value bound into a statement or read from a row, the same on every backend.
///
/// Dates are `timestamptz` on PostgreSQL and seconds since 1970 (a `REAL`) on SQLite;
/// booleans are `boolean` on PostgreSQL and `0`/`1` on SQLite.
public enum DatabaseValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case double(Double)
    case text(String)
    case bool(Bool)
    case date(Date)
}
