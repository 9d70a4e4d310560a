/// What a unit of work will do, so the backend can lock no more than it needs.
public enum TransactionMode: Sendable {
    /// Reads only: both backends run each statement on its own, without `BEGIN`/`COMMIT`, so
    /// each reads its own snapshot — what PostgreSQL's READ COMMITTED gives inside a
    /// transaction too. PostgreSQL may run the unit again on another connection when its
    /// connection died, so its body must have no effect but its reads.
    case readOnly
    /// Reads and writes: SQLite takes the write lock up front (`BEGIN IMMEDIATE`), so two
    /// processes never deadlock upgrading a read lock.
    case write
}
