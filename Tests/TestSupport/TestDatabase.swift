import Foundation
import Logging
import PortcullisPersistence
import PostgresNIO

/// The settings every test store starts from: the test database, and up to 30 s for a unit of
/// work to get a PostgreSQL connection instead of the default 5. Behaviour, not latency, is
/// under test, and on a loaded machine (the suite runs in parallel on two CPUs) a connection
/// can take longer than 5 s.
public func testStoreDefaults(_ database: TestDatabase) -> [String: String] {
    ["database.url": database.url, "database.pool_timeout": "30"]
}

/// The two stores every persistence, users and auth test runs on.
public enum DatabaseBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    public var description: String { rawValue }
}

/// A database of its own for one test: a file in a temporary directory, or a fresh database
/// on the PostgreSQL server `PORTCULLIS_TEST_POSTGRES_URL` names (scripts/test starts one and
/// sets it), dropped by ``drop()``.
public struct TestDatabase: Sendable {
    /// The `database.url` to configure.
    public let url: String
    private let postgresName: String?

    public static func create(_ backend: DatabaseBackend, in directory: TemporaryDirectory) async throws -> TestDatabase {
        switch backend {
        case .sqlite:
            return TestDatabase(url: "sqlite://" + directory.path + "/test.db", postgresName: nil)
        case .postgres:
            let name = "portcullis_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
            try await withAdminConnection { try await $0.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger) }
            var components = try adminURL()
            components.path = "/" + name
            return TestDatabase(url: components.string!, postgresName: name)
        }
    }

    /// Drops a PostgreSQL test database, disconnecting whoever still uses it.
    public func drop() async {
        guard let postgresName else { return }
        try? await Self.withAdminConnection {
            try await $0.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(postgresName) WITH (FORCE)"), logger: Self.logger)
        }
    }

    /// Ends every session connected to `database`, as a server restart would.
    public static func terminateConnections(to database: String) async throws {
        try await withAdminConnection {
            try await $0.query(PostgresQuery(
                unsafeSQL: "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(database)' AND pid <> pg_backend_pid()"
            ), logger: logger)
        }
    }

    /// Runs `body` while this PostgreSQL database's migration lock is held, as it is while
    /// another node migrates: every migration of this database waits until `body` returns.
    public func holdingMigrationLock<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        var url = try Self.adminURL()
        url.path = "/" + (postgresName ?? "")
        return try await Self.withConnection(url) { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Migrator.lockKey))", logger: Self.logger)
            return try await body()
        }
    }

    /// Runs `body` with a database of `backend` that is dropped afterwards.
    public static func with<T>(
        _ backend: DatabaseBackend, in directory: TemporaryDirectory, _ body: (TestDatabase) async throws -> T
    ) async throws -> T {
        let database = try await create(backend, in: directory)
        do {
            let result = try await body(database)
            await database.drop()
            return result
        } catch {
            await database.drop()
            throw error
        }
    }

    private struct MissingServer: Error, CustomStringConvertible {
        var description: String {
            "PORTCULLIS_TEST_POSTGRES_URL is not set: the tests need a PostgreSQL server; scripts/test starts one (scripts/test-postgres)"
        }
    }

    private static let logger = Logger(label: "test-admin")

    private static func adminURL() throws -> URLComponents {
        guard let text = ProcessInfo.processInfo.environment["PORTCULLIS_TEST_POSTGRES_URL"], let url = URLComponents(string: text) else {
            throw MissingServer()
        }
        return url
    }

    private static func withAdminConnection(_ body: (PostgresConnection) async throws -> Void) async throws {
        try await withConnection(try adminURL(), body)
    }

    private static func withConnection<T>(_ url: URLComponents, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let configuration = PostgresConnection.Configuration(
            host: url.host ?? "127.0.0.1", port: url.port ?? 5432, username: url.user ?? "postgres",
            password: url.password, database: String(url.path.dropFirst()), tls: .disable
        )
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }
}
