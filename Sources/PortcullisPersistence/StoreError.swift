/// What the store reports, the same for both backends, so callers never see a driver's error.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An insert or update hit a unique constraint; `column` is the first column of its key (`username`).
    case uniqueViolation(column: String)
    /// The database cannot be reached or stopped answering; retrying later may work.
    case unavailable(String)
    /// A session was used after its unit of work ended.
    case sessionClosed
    /// A row lacked a column, or held another type than the code reads.
    case unexpectedColumn(String)
    /// `database.url` cannot be used.
    case invalidURL(String)

    public var description: String {
        switch self {
        case .uniqueViolation(let column): "a row with this \(column) exists already"
        case .unavailable(let reason): "database unavailable: \(reason)"
        case .sessionClosed: "a database session was used after its unit of work ended"
        case .unexpectedColumn(let column): "column \(column) is missing or of an unexpected type"
        case .invalidURL(let reason): "database.url: \(reason)"
        }
    }
}
