/// What a unit of work will do, so the backend can lock no more than it needs.
public enum TransactionMode: Sendable {
    /// Reads only: SQLite reads one snapshot without the write lock (`BEGIN DEFERRED`);
    /// PostgreSQL runs each statement on its own (READ COMMITTED would give each its own
    /// snapshot inside a transaction too) and may run the unit again on another connection
    /// when its connection died, so its body must have no effect but its reads.
    case readOnly
    /// Reads and writes: SQLite takes the write lock up front (`BEGIN IMMEDIATE`), so two
    /// processes never deadlock upgrading a read lock.
    case write
}
