import Foundation
import TestSupport
import Testing

/// `server.balance_accepts` on the release binary: whichever way connections arrive, no worker
/// holds much more than its share, and the shares hold through a stuck worker, a reload,
/// TTIN and TTOU, and socket activation. The counts are each worker's open connections as
/// `portcullis status` reports them.
@Suite struct BalancedAcceptsTests {
    /// Opens `count` keep-alive connections, one after another or all at once, and has each
    /// answered once; returns them, still open.
    static func hold(_ port: Int, _ count: Int, allAtOnce: Bool) async throws -> [RawConnection] {
        let request = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
        var connections: [RawConnection] = []
        for _ in 0..<count {
            let connection = try RawConnection(port: port)
            try connection.send(request)
            if !allAtOnce { #expect(await connection.read(timeout: 15, until: isCompleteResponse).text.hasPrefix("HTTP/1.1 200")) }
            connections.append(connection)
        }
        if allAtOnce {
            for connection in connections {
                #expect(await connection.read(timeout: 15, until: isCompleteResponse).text.hasPrefix("HTTP/1.1 200"))
            }
        }
        return connections
    }

    /// The open connections of each serving worker of `generation`, once they add up to
    /// `total` (heartbeats bring them to the master within a second), lowest first.
    static func split(_ directory: TemporaryDirectory, _ environment: [String: String], total: Int, workers: Int, generation: Int = 1) async throws -> [Int] {
        var counts: [Int] = []
        try await waitUntil("\(workers) workers of generation \(generation) holding \(total) connections, not \(counts)", interval: .milliseconds(200)) {
            let outcome = try await PortcullisBinary.run(["status", "--json"], environment: environment, in: directory.path)
            let answer = (try? JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8))) as? [String: Any]
            let serving = (answer?["workers"] as? [[String: Any]] ?? []).filter {
                $0["state"] as? String == "serving" && $0["generation"] as? Int == generation
            }
            counts = serving.compactMap { $0["connections"] as? Int }.sorted()
            return counts.count == workers && counts.reduce(0, +) == total
        }
        return counts
    }

    /// What the rule allows a worker: the mean plus its slack, plus one listener read of up to
    /// four connections accepted before the pause takes effect.
    static func expectBalanced(_ counts: [Int], _ comment: Comment) {
        let total = counts.reduce(0, +)
        let mean = total / max(counts.count, 1)
        #expect((counts.max() ?? 0) <= mean + max(1, mean / 16) + 4, "\(comment): \(counts)")
    }

    @Test func connectionsOneByOneOrAllAtOnceAreSharedAndAStuckWorkerStopsNobody() async throws {
        try await withTemporaryDirectory { directory in
            let environment = serveEnvironment(directory)
            let serve = try ServeProcess(["--listen", "127.0.0.1:0", "--workers", "2"], environment: environment, in: directory.path)
            let port = try await MasterProcessTests.waitUntilReady(serve)
            for allAtOnce in [false, true] {
                var held = try await Self.hold(port, 64, allAtOnce: allAtOnce)
                Self.expectBalanced(try await Self.split(directory, environment, total: 64, workers: 2), allAtOnce ? "all at once" : "one by one")
                held.removeAll()
                _ = try await Self.split(directory, environment, total: 0, workers: 2)
            }

            // One worker stops (SIGSTOP): its line goes stale within a second and the other
            // takes every connection rather than waiting for it.
            let workers = HostileClientTests.children(of: serve.pid).sorted()
            let stuck = try #require(workers.last)
            kill(stuck, SIGSTOP)
            // kill returns before the process stops: a busy one may accept a few more first.
            try await waitUntil("worker \(stuck) to stop") {
                ((try? String(contentsOfFile: "/proc/\(stuck)/stat", encoding: .utf8)) ?? "").split(separator: ")").last?.split(separator: " ").first == "T"
            }
            let started = ContinuousClock.now
            var first = try await Self.hold(port, 24, allAtOnce: true)
            #expect(ContinuousClock.now - started < .seconds(10))
            // Back: the next connections go to it until the two are even again.
            kill(stuck, SIGCONT)
            try await Task.sleep(for: .milliseconds(500))
            var second = try await Self.hold(port, 24, allAtOnce: false)
            Self.expectBalanced(try await Self.split(directory, environment, total: 48, workers: 2), "after a stuck worker came back")
            first.removeAll()
            second.removeAll()
            serve.signal(SIGTERM)
            #expect(try await serve.waitForExit() == 0)
        }
    }

    @Test func theSharesHoldThroughAReloadTTINAndTTOU() async throws {
        try await withTemporaryDirectory { directory in
            let environment = serveEnvironment(directory)
            let serve = try ServeProcess(["--listen", "127.0.0.1:0", "--workers", "2"], environment: environment, in: directory.path)
            let port = try await MasterProcessTests.waitUntilReady(serve)
            serve.signal(SIGHUP)
            try await MasterProcessTests.waitFor(serve) { !MasterProcessTests.masterMessages($0, "reloaded").isEmpty }
            var held = try await Self.hold(port, 64, allAtOnce: true)
            Self.expectBalanced(try await Self.split(directory, environment, total: 64, workers: 2, generation: 2), "after a reload")
            held.removeAll()

            serve.signal(SIGTTIN)
            _ = try await Self.split(directory, environment, total: 0, workers: 3, generation: 2)
            held = try await Self.hold(port, 60, allAtOnce: true)
            Self.expectBalanced(try await Self.split(directory, environment, total: 60, workers: 3, generation: 2), "after TTIN")
            held.removeAll()

            serve.signal(SIGTTOU)
            _ = try await Self.split(directory, environment, total: 0, workers: 2, generation: 2)
            held = try await Self.hold(port, 64, allAtOnce: true)
            Self.expectBalanced(try await Self.split(directory, environment, total: 64, workers: 2, generation: 2), "after TTOU")
            held.removeAll()
            serve.signal(SIGTERM)
            #expect(try await serve.waitForExit() == 0)
        }
    }

    @Test func socketActivatedWorkersShareTheConnectionsToo() async throws {
        try await withTemporaryDirectory { directory in
            let port = try freeLoopbackPort()
            let environment = serveEnvironment(directory)
            let command = socketActivated(port: port, environment: environment, ["serve", "--workers", "2"])
            let serve = try ServeProcess(command: command, environment: environment, in: directory.path)
            try await Task.sleep(for: .milliseconds(200))
            // The first connection starts the server; the rest come once both workers serve.
            _ = try await Self.hold(port, 1, allAtOnce: false)
            try await MasterProcessTests.waitFor(serve) { !MasterProcessTests.masterMessages($0, "ready").isEmpty }
            var held = try await Self.hold(port, 64, allAtOnce: true)
            Self.expectBalanced(try await Self.split(directory, environment, total: 64, workers: 2), "socket activation")
            held.removeAll()
            serve.signal(SIGTERM)
            #expect(try await serve.waitForExit() == 0)
        }
    }
}
