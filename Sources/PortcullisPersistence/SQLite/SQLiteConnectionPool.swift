import Logging
import NIOCore
import NIOPosix
import SQLiteNIO

/// The SQLite connections of one process: up to `poolSize` kept open, up to `maxOverflow`
/// more opened under load and closed once one has sat unused for ``overflowIdle`` (looked at
/// whenever the pool is used): a new connection parses the schema again, so steady load reuses
/// the kept ones. Every connection runs in WAL mode with a busy timeout, so the worker
/// processes of one master share the file safely.
///
/// SQLite's calls block their thread, so the pool runs them on a thread pool of its own: two
/// threads, either of which may run any connection's statement. Writers take turns within a
/// process (the store's writer queue), so at most one thread waits for another process's write
/// lock and the other keeps reading (WAL readers never wait for a writer). Two per process,
/// not one per CPU: every worker has its own pool, and a pool whose threads mostly sleep wakes
/// one per statement (with three per worker on two CPUs, GET /users/{id} cost 1.9 context
/// switches per request; with two, 1.3).
actor SQLiteConnectionPool {
    private let path: String
    /// Started with the first connection, so a process that never opens one (the master) has none.
    private var threads: NIOThreadPool?
    private let keep: Int
    private let limit: Int
    private let logger: Logger
    /// Connections not in use, the most recently returned last (handed out first).
    private var idle: [(connection: SQLiteConnection, since: ContinuousClock.Instant)] = []
    private var opened = 0
    private var waiters: [CheckedContinuation<SQLiteConnection, any Error>] = []
    private var closed = false

    /// The threads that run this process's statements: one may wait for a write lock while the other reads.
    static let threads = 2
    /// How long a statement waits for another process's write lock before failing.
    static let busyTimeoutMilliseconds = 10_000
    /// How long a connection beyond `poolSize` may sit unused before it is closed.
    static let overflowIdle = Duration.seconds(10)

    init(path: String, poolSize: Int, maxOverflow: Int, logger: Logger) {
        self.path = path
        self.keep = poolSize
        self.limit = poolSize + maxOverflow
        self.logger = logger
    }

    deinit {
        threads?.shutdownGracefully { _ in }
    }

    /// A connection for one unit of work; waits when `poolSize + maxOverflow` are in use.
    func checkout() async throws -> SQLiteConnection {
        guard !closed else { throw StoreError.unavailable("the store is closed") }
        if let entry = idle.popLast() {
            StoreMetrics.idle["sqlite"].set(idle.count)
            return entry.connection
        }
        if opened < limit { return try await openCounted() }
        return try await withCheckedThrowingContinuation { waiters.append($0) }
    }

    /// Takes a connection back; one whose state is unknown (`reusable` false) is closed.
    func checkin(_ connection: SQLiteConnection, reusable: Bool) async {
        guard reusable, !closed else {
            opened -= 1
            await Self.close(connection)
            if !waiters.isEmpty, !closed {
                let waiter = waiters.removeFirst()
                do { waiter.resume(returning: try await openCounted()) } catch { waiter.resume(throwing: error) }
            }
            return
        }
        if !waiters.isEmpty {
            waiters.removeFirst().resume(returning: connection)
            return
        }
        let now = ContinuousClock.now
        idle.append((connection, now))
        while idle.count > keep, let oldest = idle.first, now - oldest.since >= Self.overflowIdle {
            idle.removeFirst()
            opened -= 1
            await Self.close(oldest.connection)
        }
        StoreMetrics.idle["sqlite"].set(idle.count)
    }

    /// Closes the idle connections and refuses new checkouts; connections in use close on return.
    func close() async {
        closed = true
        for waiter in waiters { waiter.resume(throwing: StoreError.unavailable("the store is closed")) }
        waiters.removeAll()
        for (connection, _) in idle { await Self.close(connection) }
        opened -= idle.count
        idle.removeAll()
    }

    private func openCounted() async throws -> SQLiteConnection {
        opened += 1
        do {
            return try await Self.open(path: path, threads: startedThreads(), logger: logger)
        } catch {
            opened -= 1
            throw SQLiteSession.translate(error)
        }
    }

    private func startedThreads() -> NIOThreadPool {
        if let threads { return threads }
        let started = NIOThreadPool(numberOfThreads: min(limit, Self.threads))
        started.start()
        threads = started
        return started
    }

    /// Closes a connection even from a cancelled task: the async `close()` of SQLiteNIO skips
    /// the work when its task is cancelled, which leaks the handle (and traps in debug builds).
    static func close(_ connection: SQLiteConnection) async {
        let closed: EventLoopFuture<Void> = connection.close()
        try? await closed.get()
    }

    /// Opens one connection and sets it up for several processes writing at once.
    static func open(path: String, threads: NIOThreadPool, logger: Logger) async throws -> SQLiteConnection {
        let connection = try await SQLiteConnection.open(
            storage: .file(path: path), threadPool: threads, logger: logger, on: MultiThreadedEventLoopGroup.singleton.any()
        )
        do {
            _ = try await connection.query("PRAGMA busy_timeout = \(busyTimeoutMilliseconds)", [])
            _ = try await connection.query("PRAGMA journal_mode = WAL", [])
            _ = try await connection.query("PRAGMA synchronous = NORMAL", [])
            _ = try await connection.query("PRAGMA foreign_keys = ON", [])
        } catch {
            await Self.close(connection)
            throw error
        }
        return connection
    }
}
