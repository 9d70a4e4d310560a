import Logging
import ServiceLifecycle

/// The embedded store: one SQLite file, shared by every process of the node.
final class SQLiteStore: Store {
    let dialect = SQLDialect.sqlite
    private let pool: SQLiteConnectionPool
    private let writers = WriterQueue()

    init(path: String, poolSize: Int, maxOverflow: Int, logger: Logger) {
        pool = SQLiteConnectionPool(path: path, poolSize: poolSize, maxOverflow: maxOverflow, logger: logger)
    }

    /// Opens connections on demand; closes them on a graceful stop or cancellation.
    func run() async throws {
        try? await gracefulShutdown()
        await pool.close()
    }

    func transaction<Result: Sendable>(
        _ mode: TransactionMode, _ body: @Sendable (any DatabaseSession) async throws -> Result
    ) async throws -> Result {
        try await StoreMetrics.counting("sqlite") {
            guard mode == .write else { return try await perform(mode, body) }
            await writers.enter()
            do {
                let result = try await perform(mode, body)
                await writers.leave()
                return result
            } catch {
                await writers.leave()
                throw error
            }
        }
    }

    private func perform<Result: Sendable>(
        _ mode: TransactionMode, _ body: @Sendable (any DatabaseSession) async throws -> Result
    ) async throws -> Result {
        let asked = ContinuousClock.now
        let connection = try await pool.checkout()
        StoreMetrics.wait["sqlite"].recordInterval(since: asked)
        let inUse = StoreMetrics.inUse["sqlite"]
        inUse.increment()
        defer { inUse.decrement() }
        let session = SQLiteSession(connection: connection, scope: SessionScope())
        guard mode == .write else {
            // Reads run without BEGIN/COMMIT, as on PostgreSQL: each statement reads its own
            // snapshot (what READ COMMITTED gives there), and two trips through the
            // connection's thread fewer are two thirds of a one-statement read's cost.
            do {
                let result = try await body(session)
                session.scope.close()
                await pool.checkin(connection, reusable: true)
                return result
            } catch {
                session.scope.close()
                await pool.checkin(connection, reusable: true)
                throw error
            }
        }
        do {
            try await session.control("BEGIN IMMEDIATE")
        } catch {
            await pool.checkin(connection, reusable: false)
            throw error
        }
        do {
            let result = try await body(session)
            session.scope.close()
            try await session.control("COMMIT")
            await pool.checkin(connection, reusable: true)
            return result
        } catch {
            session.scope.close()
            let rolledBack = (try? await session.control("ROLLBACK")) != nil
            await pool.checkin(connection, reusable: rolledBack)
            throw error
        }
    }

    /// SQLite has no notifications between processes.
    func notifications(on channel: String) -> AsyncStream<StoreNotification>? { nil }

    func ping() async throws {
        _ = try await transaction(.readOnly) { session in try await session.query("SELECT 1") }
    }
}
