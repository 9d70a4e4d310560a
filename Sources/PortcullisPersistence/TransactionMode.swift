/// What a unit of work will do, so the backend can lock no more than it needs.
public enum TransactionMode: Sendable {
    /// Reads only: SQLite takes no write lock (`BEGIN DEFERRED`), PostgreSQL runs `READ ONLY`.
    case readOnly
    /// Reads and writes: SQLite takes the write lock up front (`BEGIN IMMEDIATE`), so two
    /// processes never deadlock upgrading a read lock.
    case write
}
