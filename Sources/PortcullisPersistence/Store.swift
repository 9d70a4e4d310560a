public import ServiceLifecycle

/// The database of one process: SQLite or PostgreSQL behind one interface, chosen by
/// `database.url`. It is a service: `run()`, called once, keeps its connections for as long as
/// the process serves, and closes them on a graceful stop or cancellation.
public protocol Store: Service {
    var dialect: SQLDialect { get }

    /// A unit of work: `body` runs on one connection inside a transaction, which commits when
    /// `body` returns and rolls back when it throws. Use one per request at most.
    @discardableResult
    func transaction<Result: Sendable>(
        _ mode: TransactionMode, _ body: @Sendable (any DatabaseSession) async throws -> Result
    ) async throws -> Result

    /// Checks that the database answers; throws ``StoreError/unavailable(_:)`` when it does not.
    func ping() async throws

    /// Yields each notification on `channel` (`pg_notify`) from any process or node, when the
    /// unit of work that sent it commits, in commit order; and ``StoreNotification/connected``
    /// after each (re)connect, since notifications sent meanwhile are lost. Nil where the
    /// backend has no notifications (SQLite): poll instead. The stream ends when the consuming
    /// task is cancelled.
    func notifications(on channel: String) -> AsyncStream<StoreNotification>?
}

/// What ``Store/notifications(on:)`` yields.
public enum StoreNotification: Sendable, Equatable {
    /// The listening connection is (again) connected.
    case connected
    /// A notification and its payload.
    case message(String)
}

extension Store {
    /// Runs the store only for the duration of `body`: for one-off work such as `migrate`
    /// or `user add`, outside a serving process.
    public func whileRunning<Result: Sendable>(_ body: @Sendable () async throws -> Result) async throws -> Result {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.run() }
            defer { group.cancelAll() }
            return try await body()
        }
    }
}
