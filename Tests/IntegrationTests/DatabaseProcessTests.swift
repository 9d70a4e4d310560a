import AsyncHTTPClient
import Foundation
import NIOCore
import TestSupport
import Testing

/// `migrate`, `user add`, and the database as `serve` uses it: migrations in the master before
/// any worker, and the login limit shared by every worker process.
@Suite struct DatabaseProcessTests {
    static func environment(_ directory: TemporaryDirectory, _ database: TestDatabase, _ extra: [String: String] = [:]) -> [String: String] {
        serveEnvironment(directory, [
            "PORTCULLIS_DATABASE_URL": database.url, "PORTCULLIS_DATABASE_POOL_TIMEOUT": "30", "PORTCULLIS_SECURITY_PASSWORD_HASH_COST": "10",
        ].merging(extra) { $1 })
    }

    static func post(_ port: Int, _ path: String, _ body: String, headers: [(String, String)] = []) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Connection", value: "close")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: body))
        return try await HTTPClient.shared.execute(request, timeout: .seconds(10))
    }

    @Test("migrate applies the migrations, then finds the database up to date", arguments: DatabaseBackend.allCases)
    func migrateIsIdempotent(backend: DatabaseBackend) async throws {
        try await withTemporaryDirectory { directory in
            try await TestDatabase.with(backend, in: directory) { database in
                let environment = Self.environment(directory, database)
                let first = try await PortcullisBinary.run(["migrate"], environment: environment, in: directory.path)
                #expect(first.status == 0, "\(first.stderr)")
                #expect(first.stdout == "applied migrations: 1, 2, 3, 4\n")
                let second = try await PortcullisBinary.run(["migrate"], environment: environment, in: directory.path)
                #expect(second.status == 0)
                #expect(second.stdout == "database is up to date\n")
            }
        }
    }

    @Test("migrate run by several processes at once applies each migration exactly once", arguments: DatabaseBackend.allCases)
    func concurrentMigrateAppliesOnce(backend: DatabaseBackend) async throws {
        try await withTemporaryDirectory { directory in
            try await TestDatabase.with(backend, in: directory) { database in
                let environment = Self.environment(directory, database)
                let outcomes = try await withThrowingTaskGroup(of: PortcullisBinary.Outcome.self) { group in
                    for _ in 0..<4 {
                        group.addTask { try await PortcullisBinary.run(["migrate"], environment: environment, in: directory.path) }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(outcomes.allSatisfy { $0.status == 0 }, "\(outcomes.map(\.stderr))")
                #expect(outcomes.filter { $0.stdout == "applied migrations: 1, 2, 3, 4\n" }.count == 1)
                #expect(outcomes.filter { $0.stdout == "database is up to date\n" }.count == 3)
            }
        }
    }

    @Test("migrate against an unreachable database exits 1 with one clear line")
    func migrateWithoutADatabaseExits1() async throws {
        try await withTemporaryDirectory { directory in
            let environment = serveEnvironment(directory, ["PORTCULLIS_DATABASE_URL": "postgres://nobody:x@127.0.0.1:\(try freeLoopbackPort())/none?sslmode=disable"])
            let outcome = try await PortcullisBinary.run(["migrate"], environment: environment, in: directory.path)
            #expect(outcome.status == 1)
            #expect(outcome.stderr.contains("portcullis: migrate failed:"))
            #expect(!outcome.stderr.contains("nobody:x"), "the password in the URL stays out of the message")
        }
    }

    @Test("user add reads the password from stdin; the user can then log in", arguments: DatabaseBackend.allCases)
    func userAddThenLogin(backend: DatabaseBackend) async throws {
        try await withTemporaryDirectory { directory in
            try await TestDatabase.with(backend, in: directory) { database in
                let environment = Self.environment(directory, database)
                let added = try await PortcullisBinary.run(
                    ["user", "add", "--username", "Olga", "--email", "olga@example.com"],
                    environment: environment, in: directory.path, input: "pass word with spaces\nignored second line\n"
                )
                #expect(added.status == 0, "\(added.stderr)")
                #expect(added.stdout == "created user 1 (olga)\n")

                let again = try await PortcullisBinary.run(
                    ["user", "add", "--username", "olga", "--email", "other@example.com"],
                    environment: environment, in: directory.path, input: "another password\n"
                )
                #expect(again.status == 1)
                #expect(again.stderr.contains("A user with this username exists already."))

                let serve = try ServeProcess(["--listen", "127.0.0.1:0"], environment: environment, in: directory.path)
                let port = try await MasterProcessTests.waitUntilReady(serve)
                let login = try await Self.post(port, "/auth/login", #"{"username":"olga","password":"pass word with spaces"}"#)
                #expect(login.status == .ok)
                serve.signal(SIGTERM)
                #expect(try await serve.waitForExit() == 0)
            }
        }
    }

    @Test("user add refuses a missing password or invalid fields with exit 64, naming each problem")
    func userAddRefusesBadInput() async throws {
        try await withTemporaryDirectory { directory in
            let environment = serveEnvironment(directory)
            let noPassword = try await PortcullisBinary.run(["user", "add", "--username", "pat", "--email", "pat@example.com"], environment: environment, in: directory.path)
            #expect(noPassword.status == 64)
            #expect(noPassword.stderr.contains("no password on standard input"))
            let invalid = try await PortcullisBinary.run(
                ["user", "add", "--username", "p", "--email", "not-an-email"], environment: environment, in: directory.path, input: "short\n"
            )
            #expect(invalid.status == 64)
            #expect(invalid.stderr.contains("email must be a valid email address"))
            #expect(invalid.stderr.contains("password must be at least 8 characters"))
            #expect(invalid.stderr.contains("username must be at least 3 characters"))
            #expect(!invalid.stderr.contains("short"), "the password is never echoed")
        }
    }

    @Test("the master migrates once before any worker starts", arguments: DatabaseBackend.allCases)
    func masterMigratesBeforeWorkers(backend: DatabaseBackend) async throws {
        try await withTemporaryDirectory { directory in
            try await TestDatabase.with(backend, in: directory) { database in
                let serve = try ServeProcess(["--listen", "127.0.0.1:0", "--workers", "2"], environment: Self.environment(directory, database), in: directory.path)
                _ = try await MasterProcessTests.waitUntilReady(serve)
                let records = serve.records
                let migrated = records.indices.filter { records[$0]["msg"] as? String == "migration applied" }
                let firstWorker = try #require(records.firstIndex { $0["msg"] as? String == "worker starting" })
                #expect(migrated.count == 4, "one line per migration, jobs, hub messages and trace IDs included")
                #expect(migrated.allSatisfy { $0 < firstWorker && records[$0]["worker"] == nil })
                serve.signal(SIGTERM)
                #expect(try await serve.waitForExit() == 0)
            }
        }
    }

    @Test("the login limit holds across worker processes", arguments: DatabaseBackend.allCases)
    func loginLimitSpansWorkers(backend: DatabaseBackend) async throws {
        try await withTemporaryDirectory { directory in
            try await TestDatabase.with(backend, in: directory) { database in
                let environment = Self.environment(directory, database, [
                    "PORTCULLIS_SECURITY_LOGIN_MAX_FAILURES_PER_USER": "4", "PORTCULLIS_SERVER_TRUSTED_PROXIES": "127.0.0.1/32",
                ])
                let serve = try ServeProcess(["--listen", "127.0.0.1:0", "--workers", "2"], environment: environment, in: directory.path)
                let port = try await MasterProcessTests.waitUntilReady(serve)
                let created = try await Self.post(port, "/users", #"{"username":"quinn","email":"quinn@example.com","password":"correct horse"}"#)
                #expect(created.status == .created)
                // Each attempt comes from another client address (through the trusted proxy) on a
                // new connection, so only the per-username count, kept in the database, can stop them.
                @Sendable func attempt(_ number: Int) async throws -> UInt {
                    try await Self.post(
                        port, "/auth/login", #"{"username":"quinn","password":"wrong password"}"#,
                        headers: [("X-Forwarded-For", "198.51.100.\(number % 250 + 1)")]
                    ).status.code
                }
                for number in 0..<4 { #expect(try await attempt(number) == 401) }
                // Then attempts go on until both workers have answered some: every one must be 429.
                var later: [UInt] = []
                func limitingWorkers() -> Set<Int> {
                    Set(serve.records.filter { $0["path"] as? String == "/auth/login" && $0["status"] as? Int == 429 }.compactMap { $0["worker"] as? Int })
                }
                for round in 0..<50 where limitingWorkers().count < 2 {
                    later += try await withThrowingTaskGroup(of: UInt.self) { group in
                        for lane in 0..<4 { group.addTask { try await attempt(4 + round * 4 + lane) } }
                        return try await group.reduce(into: []) { $0.append($1) }
                    }
                }
                #expect(limitingWorkers().count == 2)
                #expect(!later.isEmpty && later.allSatisfy { $0 == 429 }, "\(later)")
                serve.signal(SIGTERM)
                #expect(try await serve.waitForExit() == 0)
            }
        }
    }
}
