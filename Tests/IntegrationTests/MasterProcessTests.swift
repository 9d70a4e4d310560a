import AsyncHTTPClient
import Foundation
import Synchronization
import TestSupport
import Testing

/// The prefork master and its workers, run as `portcullis serve` on a loopback port.
@Suite struct MasterProcessTests {
    static func get(_ port: Int, _ path: String = "/healthz", headers: [(String, String)] = []) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        return try await HTTPClient.shared.execute(request, timeout: .seconds(10))
    }

    static func waitFor(_ serve: ServeProcess, timeout: Duration = .seconds(30), _ condition: ([[String: Any]]) -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition(serve.records) {
            guard ContinuousClock.now < deadline else {
                throw ProcessFailure(description: "condition not met; stderr:\n" + serve.stderrLines.suffix(40).joined(separator: "\n"))
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Waits until the master says every worker serves; returns the port it listens on.
    static func waitUntilReady(_ serve: ServeProcess) async throws -> Int {
        let port = try await serve.waitForPort()
        try await waitFor(serve) { !masterMessages($0, "ready").isEmpty }
        return port
    }

    static func masterMessages(_ records: [[String: Any]], _ message: String) -> [[String: Any]] {
        records.filter { $0["logger"] as? String == "portcullis.master" && $0["msg"] as? String == message }
    }

    static func workerPIDs(_ records: [[String: Any]]) -> Set<Int> {
        Set(records.filter { $0["logger"] as? String == "portcullis.access" }.compactMap { $0["pid"] as? Int })
    }

    /// Sends `count` requests, `parallel` at a time, and returns how many failed. By default
    /// each goes on a new connection: that spreads them over the workers and sends every one
    /// through `accept`, where a dead worker would lose it. With `keepAlive` the client reuses
    /// connections as browsers and proxies do, and opens a new one when told `Connection: close`.
    /// Sends `count` GETs, `parallel` at a time; returns how many failed.
    ///
    /// With `keepAlive`, a request whose pooled connection the server closed before answering
    /// is sent once more, as RFC 9112 §9.3.1 lets a client do for an idempotent request: a
    /// stopping worker closes its idle keep-alive connections after a grace, and a client
    /// starved of CPU can pick one at that moment. Anything else still counts as a failure.
    static func load(_ port: Int, count: Int, parallel: Int = 4, keepAlive: Bool = false) async -> Int {
        await withTaskGroup(of: Int.self) { group in
            for lane in 0..<parallel {
                group.addTask {
                    var failed = 0
                    for _ in stride(from: lane, to: count, by: parallel) {
                        failed += await attempt(port, keepAlive: keepAlive, retriesLeft: keepAlive ? 1 : 0) ? 0 : 1
                    }
                    return failed
                }
            }
            return await group.reduce(0, +)
        }
    }

    private static func attempt(_ port: Int, keepAlive: Bool, retriesLeft: Int) async -> Bool {
        do {
            let response = try await get(port, headers: keepAlive ? [] : [("Connection", "close")])
            _ = try await response.body.collect(upTo: 1024)
            return response.status == .ok
        } catch let error as HTTPClientError where error == .remoteConnectionClosed && retriesLeft > 0 {
            return await attempt(port, keepAlive: keepAlive, retriesLeft: retriesLeft - 1)
        } catch {
            return false
        }
    }

    @Test func theWorkerCountEqualsTheDistinctWorkerPIDsSeenServing() async throws {
        try await withTemporaryDirectory { directory in
            let serve = try ServeProcess(["--listen", "127.0.0.1:0", "--workers", "3"], environment: serveEnvironment(directory), in: directory.path)
            let port = try await Self.waitUntilReady(serve)
            let started = Set(Self.masterMessages(serve.records, "worker started").compactMap { Int($0["worker_pid"] as? String ?? "") })
            #expect(started.count == 3)
            var failures = 0
            for _ in 0..<20 where Self.workerPIDs(serve.records).count < 3 {
                failures += await Self.load(port, count: 60, parallel: 6)
            }
            #expect(failures == 0)
            #expect(Self.workerPIDs(serve.records) == started)
            serve.signal(SIGTERM)
            #expect(try await serve.waitForExit() == 0)
        }
    }

    @Test func aKilledWorkerIsReplacedWhileTheServiceContinues() async throws {
        try await withTemporaryDirectory { directory in
            let serve = try ServeProcess(["--listen", "127.0.0.1:0", "--workers", "2"], environment: serveEnvironment(directory), in: directory.path)
            let port = try await Self.waitUntilReady(serve)
            let victim = try #require(Self.masterMessages(serve.records, "worker started").first.flatMap { Int32($0["worker_pid"] as? String ?? "") })
            let stop = Atomic<Bool>(false)
            let counts = Mutex((ok: 0, failed: 0))
            async let loop: Void = {
                while !stop.load(ordering: .relaxed) {
                    let ok = (try? await Self.get(port).status == .ok) ?? false
                    counts.withLock { ok ? ($0.ok += 1) : ($0.failed += 1) }
                }
            }()
            try await Task.sleep(for: .milliseconds(300))
            kill(victim, SIGKILL)
            try await Self.waitFor(serve) { records in
                Self.masterMessages(records, "worker died").contains { $0["worker_pid"] as? String == "\(victim)" }
                    && Self.masterMessages(records, "worker started").count == 3
                    && Self.masterMessages(records, "worker serving").count == 3
            }
            let before = counts.withLock { $0.ok }
            try await Task.sleep(for: .milliseconds(500))
            stop.store(true, ordering: .relaxed)
            await loop
            let after = counts.withLock { $0 }
            #expect(after.ok > before, "requests kept succeeding after the replacement")
            #expect(after.failed <= 1, "only a request in flight on the killed worker may fail; \(after.failed) failed")
            serve.signal(SIGTERM)
            #expect(try await serve.waitForExit() == 0)
        }
    }

    /// A stopped process is the simplest hung worker: alive, silent, serving nothing.
    @Test func aWorkerThatMissesItsHeartbeatIsKilledAndReplaced() async throws {
        try await withTemporaryDirectory { directory in
            let serve = try ServeProcess(["--listen", "127.0.0.1:0", "--workers", "1"], environment: serveEnvironment(directory, [
                "PORTCULLIS_SERVER_WORKER_TIMEOUT": "1",
            ]), in: directory.path)
            let port = try await Self.waitUntilReady(serve)
            let hung = try #require(Self.masterMessages(serve.records, "worker started").first.flatMap { Int32($0["worker_pid"] as? String ?? "") })
            kill(hung, SIGSTOP)
            try await Self.waitFor(serve) { records in
                Self.masterMessages(records, "worker missed its heartbeat; killing it").contains { $0["worker_pid"] as? String == "\(hung)" }
                    && Self.masterMessages(records, "worker serving").count == 2
            }
            #expect(kill(hung, 0) != 0, "the hung worker is gone")
            #expect(try await Self.get(port).status == .ok)
            serve.signal(SIGTERM)
            #expect(try await serve.waitForExit() == 0)
        }
    }

    @Test func termWhileARequestIsInFlightLetsItCompleteThenExitsZero() async throws {
        try await withTemporaryDirectory { directory in
            let serve = try ServeProcess(["--listen", "127.0.0.1:0"], environment: serveEnvironment(directory), in: directory.path)
            let port = try await Self.waitUntilReady(serve)
            let connection = try RawConnection(port: port)
            // The head and half the body now; the rest only after TERM.
            try connection.send("POST /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\n01234")
            try await Task.sleep(for: .milliseconds(200))
            serve.signal(SIGTERM)
            try await Self.waitFor(serve) { records in records.contains { $0["msg"] as? String == "draining" } }
            try connection.send("56789")
            let reading = await connection.read(timeout: 10, until: isCompleteResponse)
            #expect(reading.text.hasPrefix("HTTP/1.1 405"), "the in-flight request was answered: \(reading.text.prefix(40))")
            #expect(try await serve.waitForExit() == 0)
            #expect(throws: (any Error).self) { try RawConnection(port: port) }
        }
    }

    @Test func hupWithABrokenConfigurationKeepsServingTheOldOne() async throws {
        try await withTemporaryDirectory { directory in
            let file = try directory.write("portcullis.yaml", "cors:\n  origins: [\"https://old.example\"]\n")
            let serve = try ServeProcess(["--config", file, "--listen", "127.0.0.1:0", "--workers", "2"], environment: serveEnvironment(directory), in: directory.path)
            let port = try await Self.waitUntilReady(serve)
            try directory.write("portcullis.yaml", "server:\n  graceful_timeout: soon\n")
            serve.signal(SIGHUP)
            try await Self.waitFor(serve) { !Self.masterMessages($0, "reload refused").isEmpty }
            let refused = Self.masterMessages(serve.records, "reload refused")
            #expect(refused.first?["key"] as? String == "server.graceful_timeout")
            let response = try await Self.get(port, headers: [("Origin", "https://old.example")])
            #expect(response.status == .ok)
            #expect(response.headers.first(name: "Access-Control-Allow-Origin") == "https://old.example")
            #expect(Self.masterMessages(serve.records, "worker started").count == 2)
            serve.signal(SIGTERM)
            #expect(try await serve.waitForExit() == 0)
        }
    }

    @Test func hupWhoseStartupHookFailsKeepsServingTheOldConfiguration() async throws {
        try await withTemporaryDirectory { directory in
            let blocker = try directory.write("not-a-directory", "")
            let file = try directory.write("portcullis.yaml", "cors:\n  origins: [\"https://old.example\"]\n")
            var environment = serveEnvironment(directory)
            environment["PORTCULLIS_SERVER_STATE_DIR"] = nil
            let serve = try ServeProcess(["--config", file, "--listen", "127.0.0.1:0"], environment: environment, in: directory.path)
            let port = try await Self.waitUntilReady(serve)
            try directory.write("portcullis.yaml", "server:\n  state_dir: \(blocker)/state\ncors:\n  origins: [\"https://new.example\"]\n")
            serve.signal(SIGHUP)
            try await Self.waitFor(serve) { !Self.masterMessages($0, "reload refused").isEmpty }
            let refused = Self.masterMessages(serve.records, "reload refused")
            #expect((refused.first?["error"] as? String)?.contains("start-up hook \"state directory\" failed") == true)
            let response = try await Self.get(port, headers: [("Origin", "https://old.example")])
            #expect(response.headers.first(name: "Access-Control-Allow-Origin") == "https://old.example")
            #expect(Self.masterMessages(serve.records, "worker started").count == 1)
            serve.signal(SIGTERM)
            #expect(try await serve.waitForExit() == 0)
        }
    }

    @Test func hupWithAChangedConfigurationStartsANewGenerationWithoutAFailedRequest() async throws {
        try await withTemporaryDirectory { directory in
            let file = try directory.write("portcullis.yaml", "cors:\n  origins: [\"https://old.example\"]\n")
            let serve = try ServeProcess(["--config", file, "--listen", "127.0.0.1:0", "--workers", "2"], environment: serveEnvironment(directory), in: directory.path)
            let port = try await Self.waitUntilReady(serve)
            try directory.write("portcullis.yaml", "cors:\n  origins: [\"https://new.example\"]\n")
            let stop = Atomic<Bool>(false)
            async let failures: Int = {
                var failed = 0
                var sent = 0
                while !stop.load(ordering: .relaxed) || sent < 50 {
                    failed += await Self.load(port, count: 8, parallel: 4, keepAlive: true)
                    sent += 8
                }
                return failed
            }()
            try await Task.sleep(for: .milliseconds(200))
            serve.signal(SIGHUP)
            try await Self.waitFor(serve) { !Self.masterMessages($0, "reloaded").isEmpty }
            try await Self.waitFor(serve) { Self.masterMessages($0, "worker exited").count == 2 }
            stop.store(true, ordering: .relaxed)
            #expect(await failures == 0)
            #expect(Self.masterMessages(serve.records, "reloaded").first?["generation"] as? String == "2")
            let response = try await Self.get(port, headers: [("Origin", "https://new.example")])
            #expect(response.headers.first(name: "Access-Control-Allow-Origin") == "https://new.example")
            serve.signal(SIGTERM)
            #expect(try await serve.waitForExit() == 0)
        }
    }

    /// A reload whose start-up work waits — here its migration, on the lock another node's
    /// migration would hold — longer than `server.worker_timeout` and the watchdog interval:
    /// the master goes on reading heartbeats, pinging the watchdog and replacing a worker that
    /// dies, and the running generation serves on until the new one is ready.
    @Test func aReloadWhoseStartUpWorkOutlastsTheWorkerTimeoutAndTheWatchdogKillsNothing() async throws {
        try await withTemporaryDirectory { directory in
            try await TestDatabase.with(.postgres, in: directory) { database in
                let notify = try NotifySocket(directory: directory.path)
                let serve = try ServeProcess(["--listen", "127.0.0.1:0", "--workers", "2"], environment: DatabaseProcessTests.environment(directory, database, [
                    "PORTCULLIS_SERVER_WORKER_TIMEOUT": "2", "NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "2000000",
                ]), in: directory.path)
                let port = try await Self.waitUntilReady(serve)
                let window = try await Self.reloadFiveSecondsInto(serve, port: port, holding: database)
                try await Self.waitFor(serve) { !Self.masterMessages($0, "reloaded").isEmpty }
                #expect(Self.masterMessages(serve.records, "worker missed its heartbeat; killing it").isEmpty)
                #expect(Self.masterMessages(serve.records, "worker died").count == 1, "only the worker the test killed")
                let pings = notify.arrivals(of: "WATCHDOG=1").filter(window.contains)
                let longest = Self.longestGap(pings)
                #expect(pings.count >= 5, "pinged throughout the 5 s of preparing: \(pings.count) pings")
                #expect(longest < .seconds(2), "no gap as long as WATCHDOG_USEC; the longest was \(longest)")
                serve.signal(SIGTERM)
                #expect(try await serve.waitForExit() == 0)
            }
        }
    }

    /// The longest time between two consecutive instants.
    static func longestGap(_ instants: [ContinuousClock.Instant]) -> Duration {
        zip(instants, instants.dropFirst()).map { $1 - $0 }.max() ?? .zero
    }

    /// Sends HUP, kills a worker while the reload prepares and serves a request 5 s into it;
    /// returns the time from when the preparing was seen to start to when the 5 s were over.
    private static func reloadFiveSecondsInto(
        _ serve: ServeProcess, port: Int, holding database: TestDatabase
    ) async throws -> ClosedRange<ContinuousClock.Instant> {
        try await database.holdingMigrationLock {
            serve.signal(SIGHUP)
            try await waitFor(serve) { !masterMessages($0, "reloading the configuration").isEmpty }
            let held = ContinuousClock.now
            let victim = try #require(masterMessages(serve.records, "worker started").first.flatMap { Int32($0["worker_pid"] as? String ?? "") })
            kill(victim, SIGKILL)
            try await waitFor(serve) { masterMessages($0, "worker serving").count == 3 }
            try await Task.sleep(until: held + .seconds(5))
            #expect(masterMessages(serve.records, "reloading").isEmpty, "still preparing: the migration waits for the lock")
            #expect(try await get(port).status == .ok)
            return held...ContinuousClock.now
        }
    }

    /// TERM while a reload prepares stops the master at once; the preparation is abandoned.
    @Test func termWhileAReloadPreparesStopsTheMaster() async throws {
        try await withTemporaryDirectory { directory in
            try await TestDatabase.with(.postgres, in: directory) { database in
                let serve = try ServeProcess(
                    ["--listen", "127.0.0.1:0", "--workers", "1"], environment: DatabaseProcessTests.environment(directory, database), in: directory.path)
                _ = try await Self.waitUntilReady(serve)
                try await database.holdingMigrationLock {
                    serve.signal(SIGHUP)
                    try await Self.waitFor(serve) { !Self.masterMessages($0, "reloading the configuration").isEmpty }
                    serve.signal(SIGTERM)
                    #expect(try await serve.waitForExit(timeout: .seconds(15)) == 0, "stopped while the lock is still held")
                }
            }
        }
    }

    @Test func ttinAndTtouAddAndRemoveOneWorker() async throws {
        try await withTemporaryDirectory { directory in
            let serve = try ServeProcess(["--listen", "127.0.0.1:0", "--workers", "1"], environment: serveEnvironment(directory), in: directory.path)
            _ = try await Self.waitUntilReady(serve)
            serve.signal(SIGTTIN)
            try await Self.waitFor(serve) { Self.masterMessages($0, "worker serving").count == 2 }
            serve.signal(SIGTTOU)
            try await Self.waitFor(serve) { Self.masterMessages($0, "worker exited").count == 1 }
            #expect(Self.masterMessages(serve.records, "removing a worker").first?["workers"] as? String == "1")
            serve.signal(SIGTERM)
            #expect(try await serve.waitForExit() == 0)
        }
    }

    @Test func workersInheritOnlyTheirControlSocketAndListeners() async throws {
        try await withTemporaryDirectory { directory in
            let marker = directory.path + "/inherited-by-the-master"
            _ = FileManager.default.createFile(atPath: marker, contents: nil)
            // The shell opens the marker without close-on-exec, as a careless parent would.
            let serve = try ServeProcess(command: [
                "/bin/sh", "-c", "exec \"$@\" 7<\"$MARKER\"", "sh", PortcullisBinary.path, "serve", "--listen", "127.0.0.1:0",
            ], environment: serveEnvironment(directory, ["MARKER": marker]), in: directory.path)
            _ = try await Self.waitUntilReady(serve)
            let worker = try #require(Self.masterMessages(serve.records, "worker started").first?["worker_pid"] as? String)
            #expect(Self.openFiles(of: String(serve.pid)).contains(marker))
            let workerFiles = Self.openFiles(of: worker)
            #expect(!workerFiles.isEmpty)
            #expect(!workerFiles.contains(marker))
            serve.signal(SIGTERM)
            #expect(try await serve.waitForExit() == 0)
        }
    }

    /// What each open descriptor of a process points at.
    static func openFiles(of pid: String) -> [String] {
        let directory = "/proc/\(pid)/fd"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return entries.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + $0) }
    }

    /// Each recycle closes a listener that other workers keep accepting on; connections the
    /// draining worker had accepted must still be answered.
    @Test func maxRequestsRecyclesWorkersWithoutAFailedRequest() async throws {
        try await withTemporaryDirectory { directory in
            let serve = try ServeProcess(["--listen", "127.0.0.1:0", "--workers", "2"], environment: serveEnvironment(directory, [
                "PORTCULLIS_SERVER_MAX_REQUESTS": "10",
            ]), in: directory.path)
            let port = try await Self.waitUntilReady(serve)
            #expect(await Self.load(port, count: 400, parallel: 4) == 0)
            try await Self.waitFor(serve) { Self.masterMessages($0, "worker recycling after max_requests").count >= 20 }
            #expect(Self.masterMessages(serve.records, "worker died").isEmpty)
            serve.signal(SIGTERM)
            #expect(try await serve.waitForExit() == 0)
        }
    }

    /// Killed after serving, as a crash caused by a request would kill it: the master replaces
    /// the worker every time, however low `server.crash_loop_max` is.
    @Test func aWorkerThatDiesAfterServingIsReplacedEveryTime() async throws {
        try await withTemporaryDirectory { directory in
            let serve = try ServeProcess(["--listen", "127.0.0.1:0", "--workers", "1"], environment: serveEnvironment(directory, [
                "PORTCULLIS_SERVER_CRASH_LOOP_MAX": "1",
            ]), in: directory.path)
            let port = try await serve.waitForPort()
            for round in 1...4 {
                try await Self.waitFor(serve) { Self.masterMessages($0, "worker serving").count == round }
                let pid = try #require(Self.masterMessages(serve.records, "worker started").last.flatMap { Int32($0["worker_pid"] as? String ?? "") })
                kill(pid, SIGILL)
                try await Self.waitFor(serve) { Self.masterMessages($0, "worker died").count == round }
            }
            try await Self.waitFor(serve) { Self.masterMessages($0, "worker serving").count == 5 }
            #expect(try await Self.get(port).status == .ok)
            #expect(serve.records.filter { $0["level"] as? String == "critical" }.isEmpty)
            #expect(Self.masterMessages(serve.records, "worker died").allSatisfy { $0["status"] as? String == "\(128 + SIGILL)" })
            serve.signal(SIGTERM)
            #expect(try await serve.waitForExit() == 0)
        }
    }

    /// The master names the requests a dead worker took down: one whose body was still
    /// arriving and one open WebSocket session, each by its `X-Request-ID`.
    @Test func aDeadWorkersLineNamesTheRequestsItWasServing() async throws {
        try await withTemporaryDirectory { directory in
            let serve = try ServeProcess(["--listen", "127.0.0.1:0", "--workers", "1"], environment: serveEnvironment(directory), in: directory.path)
            let port = try await Self.waitUntilReady(serve)
            let upload = try RawConnection(port: port)
            try upload.send("POST /users HTTP/1.1\r\nHost: x\r\nX-Request-ID: upload-in-flight\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"user")
            let session = try await WebSocketTestClient.open(port: port, path: "/ws/echo", headers: [("X-Request-ID", "session-in-flight")])
            #expect(session.status == 101)
            try await session.sendText("hello")
            #expect(await session.next()?.text == "Echo: hello")
            let pid = try #require(Self.masterMessages(serve.records, "worker started").last.flatMap { Int32($0["worker_pid"] as? String ?? "") })
            kill(pid, SIGKILL)
            try await Self.waitFor(serve) { !Self.masterMessages($0, "worker died").isEmpty }
            let died = try #require(Self.masterMessages(serve.records, "worker died").first)
            #expect(died["status"] as? String == "\(128 + SIGKILL)")
            #expect(died["requests_in_flight"] as? String == "2")
            #expect(Set((died["request_ids"] as? String ?? "").split(separator: ",").map(String.init)) == ["upload-in-flight", "session-in-flight"])
            // The replacement starts with an empty board: its own death names nothing.
            try await Self.waitFor(serve) { Self.masterMessages($0, "worker serving").count == 2 }
            let replacement = try #require(Self.masterMessages(serve.records, "worker started").last.flatMap { Int32($0["worker_pid"] as? String ?? "") })
            kill(replacement, SIGKILL)
            try await Self.waitFor(serve) { Self.masterMessages($0, "worker died").count == 2 }
            #expect(Self.masterMessages(serve.records, "worker died").last?["request_ids"] == nil)
            serve.signal(SIGTERM)
            #expect(try await serve.waitForExit() == 0)
        }
    }

    /// A configuration file broken under a running master (without a reload): the workers that
    /// replace a killed one cannot load it and die before they serve, and that ends the master.
    @Test func workersThatDieBeforeServingEndTheMasterWithStatus1AndOneClearLine() async throws {
        try await withTemporaryDirectory { directory in
            let file = try directory.write("portcullis.yaml", "server:\n  workers: 1\n")
            let serve = try ServeProcess(
                ["--config", file, "--listen", "127.0.0.1:0"],
                environment: serveEnvironment(directory, ["PORTCULLIS_SERVER_CRASH_LOOP_MAX": "1"]), in: directory.path)
            _ = try await Self.waitUntilReady(serve)
            _ = try directory.write("portcullis.yaml", "server:\n  workers: 0\n")
            let pid = try #require(Self.masterMessages(serve.records, "worker started").last.flatMap { Int32($0["worker_pid"] as? String ?? "") })
            kill(pid, SIGKILL)
            #expect(try await serve.waitForExit() == 1)
            #expect(Self.masterMessages(serve.records, "worker died").count == 1)
            let boot = Self.masterMessages(serve.records, "worker died before serving")
            #expect(boot.count == 2)
            #expect(boot.allSatisfy { $0["status"] as? String == "78" })
            let critical = serve.records.filter { $0["level"] as? String == "critical" }
            #expect(critical.count == 1)
            #expect((critical.first?["msg"] as? String)?.hasPrefix("crash loop: 2 workers died before serving within 60 s") == true)
        }
    }

    /// A package upgrade replaces the binary under the running master: the workers it starts
    /// afterwards are still of its own build (`/proc/self/exe`), never the new file's.
    @Test func aBinaryReplacedUnderTheMasterDoesNotChangeItsWorkersBuild() async throws {
        try await withTemporaryDirectory { directory in
            let binary = directory.path + "/portcullis"
            try FileManager.default.copyItem(atPath: PortcullisBinary.path, toPath: binary)
            let serve = try ServeProcess(
                command: [binary, "serve", "--listen", "127.0.0.1:0", "--workers", "1"],
                environment: serveEnvironment(directory, ["PORTCULLIS_SERVER_CRASH_LOOP_MAX": "1"]), in: directory.path)
            let port = try await Self.waitUntilReady(serve)
            try FileManager.default.removeItem(atPath: binary)
            _ = try directory.write("portcullis", "#!/bin/sh\nexit 3\n", mode: 0o755)
            let pid = try #require(Self.masterMessages(serve.records, "worker started").last.flatMap { Int32($0["worker_pid"] as? String ?? "") })
            kill(pid, SIGKILL)
            try await Self.waitFor(serve) { Self.masterMessages($0, "worker serving").count == 2 }
            #expect(Self.masterMessages(serve.records, "worker died before serving").isEmpty)
            let replacement = try #require(Self.masterMessages(serve.records, "worker started").last?["worker_pid"] as? String)
            #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(replacement)/exe")) == binary + " (deleted)")
            #expect(try await Self.get(port).status == .ok)
            serve.signal(SIGTERM)
            #expect(try await serve.waitForExit() == 0)
        }
    }
}
