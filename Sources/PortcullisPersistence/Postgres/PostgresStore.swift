import Logging
import NIOSSL
import PortcullisPlatform
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The scale-out store: PostgreSQL through postgres-nio's connection pool.
///
/// Up to `database.pool_size + database.max_overflow` connections are opened, on demand, and
/// closed after a minute idle (see `init` for why none is kept open regardless). With `database.pre_ping`, a unit of work whose
/// connection turns out dead at `BEGIN` — before anything was sent — is retried on another,
/// as is a read-only unit that lost its connection, so a database restart costs the first
/// requests nothing but a reconnect.
final class PostgresStore: Store {
    let dialect = SQLDialect.postgres
    private let client: PostgresClient
    private let prePing: Bool
    private let attempts: Int
    /// How long a unit of work waits for a pooled connection (`database.pool_timeout`).
    private let leaseTimeout: Duration
    private let logger: Logger
    private let listener: PostgresListener

    init(server: DatabaseURL.Postgres, settings: PortcullisConfig.Database, logger: Logger) {
        let tls: PostgresClient.Configuration.TLS = switch server.tls {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(
            host: server.host, port: server.port, username: server.user, password: server.password,
            database: server.database, tls: tls
        )
        // No connections kept warm: postgres-nio 1.33.2's pool traps (a precondition in
        // createNewDemandConnectionIfPossible) when a server restart drops it below its minimum
        // and a lease arrives before the minimum is back. Connections open on demand instead.
        configuration.options.minimumConnections = 0
        configuration.options.maximumConnections = settings.poolSize + settings.maxOverflow
        configuration.options.connectTimeout = .seconds(5)
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        prePing = settings.prePing
        leaseTimeout = settings.poolTimeout
        attempts = settings.prePing ? settings.poolSize + settings.maxOverflow + 1 : 1
        self.logger = logger
        listener = PostgresListener(server: server, logger: logger)
    }

    func run() async throws {
        await client.run()
    }

    func transaction<Result: Sendable>(
        _ mode: TransactionMode, _ body: @Sendable (any DatabaseSession) async throws -> Result
    ) async throws -> Result {
        try await StoreMetrics.counting("postgres") { try await attempts(mode, body) }
    }

    private func attempts<Result: Sendable>(
        _ mode: TransactionMode, _ body: @Sendable (any DatabaseSession) async throws -> Result
    ) async throws -> Result {
        var attempt = 1
        while true {
            do {
                return try await withConnection { connection in
                    let session = PostgresSession(connection: connection, scope: SessionScope(), logger: logger)
                    guard mode == .write else {
                        // Reads run without BEGIN/COMMIT: under READ COMMITTED each statement has
                        // its own snapshot either way, and two round trips fewer is most of a read's
                        // cost. Reads change nothing, so a lost connection may be retried.
                        defer { session.scope.close() }
                        do {
                            return try await body(session)
                        } catch StoreError.unavailable(let reason) {
                            throw Retryable(underlying: StoreError.unavailable(reason))
                        }
                    }
                    do {
                        try await session.control("BEGIN")
                    } catch {
                        throw Retryable(underlying: error)
                    }
                    do {
                        let result = try await body(session)
                        session.scope.close()
                        try await session.control("COMMIT")
                        return result
                    } catch {
                        session.scope.close()
                        try? await session.control("ROLLBACK")
                        throw error
                    }
                }
            } catch let error as Retryable {
                guard attempt < attempts, case StoreError.unavailable = error.underlying else { throw error.underlying }
                logger.debug("pooled connection was dead; retrying on another", metadata: ["attempt": "\(attempt)"])
                attempt += 1
            } catch {
                throw PostgresSession.translate(error)
            }
        }
    }

    /// postgres-nio's pool waits for a connection as long as it takes — for ever while the
    /// server is down. A unit of work waits at most `database.pool_timeout`, then fails as unavailable
    /// (a 503 for a request), so clients and probes get an answer.
    private func withConnection<Result: Sendable>(
        _ body: @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let leased = LeaseFlag()
        let client = client
        let timeout = leaseTimeout
        return try await withoutActuallyEscaping(body) { body in
            try await withThrowingTaskGroup(of: Result?.self) { group in
                group.addTask {
                    let asked = ContinuousClock.now
                    return try await client.withConnection { connection in
                        leased.set()
                        StoreMetrics.wait["postgres"].recordInterval(since: asked)
                        let inUse = StoreMetrics.inUse["postgres"]
                        inUse.increment()
                        defer { inUse.decrement() }
                        return try await body(connection)
                    }
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    guard leased.isSet else { throw StoreError.unavailable("no connection to PostgreSQL within \(timeout)") }
                    return nil
                }
                defer { group.cancelAll() }
                while let outcome = try await group.next() {
                    if let result = outcome { return result }
                }
                throw CancellationError()
            }
        }
    }

    func ping() async throws {
        _ = try await transaction(.readOnly) { session in try await session.query("SELECT 1") }
    }

    func notifications(on channel: String) -> AsyncStream<StoreNotification>? {
        listener.notifications(on: channel)
    }

    /// Whether a unit of work got its connection.
    private final class LeaseFlag: Sendable {
        private let value = Atomic<Bool>(false)
        func set() { value.store(true, ordering: .releasing) }
        var isSet: Bool { value.load(ordering: .acquiring) }
    }

    /// Nothing of the unit of work took effect — `BEGIN` failed, or a read-only unit lost its
    /// connection — so it may be retried on another connection.
    private struct Retryable: Error {
        let underlying: any Error
    }
}
