import Foundation
import TestSupport
import Testing

/// WebSockets through the built binary: the hub's messages cross worker processes through the
/// master, and a stop closes every socket with 1001.
@Suite struct WebSocketProcessTests {
    /// Opens `/ws/broadcast` clients until two are served by different worker processes, as
    /// the access log's `pid` for each handshake's request ID says.
    static func clientsOnTwoWorkers(_ serve: ServeProcess, port: Int) async throws -> (WebSocketTestClient, WebSocketTestClient) {
        var byWorker: [Int: WebSocketTestClient] = [:]
        for _ in 0..<60 where byWorker.count < 2 {
            let client = try await WebSocketTestClient.open(port: port, path: "/ws/broadcast")
            #expect(client.status == 101)
            let id = try #require(client.header("X-Request-ID"))
            var pid: Int?
            for _ in 0..<500 where pid == nil {
                pid = serve.records.first { $0["logger"] as? String == "portcullis.access" && $0["request_id"] as? String == id }?["pid"] as? Int
                if pid == nil { try await Task.sleep(for: .milliseconds(10)) }
            }
            if let pid, byWorker[pid] == nil { byWorker[pid] = client }
        }
        let clients = Array(byWorker.values)
        guard clients.count == 2 else { throw ProcessFailure(description: "every handshake went to one worker") }
        return (clients[0], clients[1])
    }

    /// Sends from `sender` until `receiver` hears it: a handshake's 101 goes out before its
    /// session subscribes, on whichever worker that is.
    static func waitUntilLinked(_ sender: WebSocketTestClient, _ receiver: WebSocketTestClient) async throws {
        for attempt in 0..<100 {
            try await sender.sendText("probe \(attempt)")
            if let frame = await receiver.next(timeout: 0.2), frame.text.hasPrefix("probe") {
                return
            }
        }
        throw ProcessFailure(description: "no probe crossed between the workers")
    }

    @Test func broadcastsCrossWorkerProcessesInOrderAndTERMClosesWith1001() async throws {
        try await withTemporaryDirectory { directory in
            let serve = try ServeProcess(["--listen", "127.0.0.1:0", "--workers", "2"], environment: serveEnvironment(directory), in: directory.path)
            let port = try await MasterProcessTests.waitUntilReady(serve)
            let (first, second) = try await Self.clientsOnTwoWorkers(serve, port: port)
            try await Self.waitUntilLinked(first, second)
            try await Self.waitUntilLinked(second, first)

            let count = 200
            for index in 0..<count { try await first.sendText("first \(index)") }
            var seen: [String] = []
            while seen.count < count, let frame = await second.next() {
                if frame.text.hasPrefix("first ") { seen.append(frame.text) }
            }
            #expect(seen == (0..<count).map { "first \($0)" })
            try await second.sendText("from the second worker")
            var heard = false
            while !heard, let frame = await first.next() { heard = frame.text == "from the second worker" }
            #expect(heard)

            serve.signal(SIGTERM)
            for client in [first, second] {
                let close = await client.nextClose(timeout: 30)
                #expect(close?.closeCode == 1001)
                #expect(close?.closeReason == "Server shutting down")
            }
            #expect(try await serve.waitForExit() == 0)
        }
    }

    @Test func broadcastsReachAnotherNodeOnTheSamePostgreSQLInOrderLargeOnesThroughTheTable() async throws {
        try await withTemporaryDirectory { directory in
            try await withTemporaryDirectory { otherDirectory in
                try await TestDatabase.with(.postgres, in: directory) { database in
                    let one = try ServeProcess(
                        ["--listen", "127.0.0.1:0", "--workers", "1"], environment: DatabaseProcessTests.environment(directory, database), in: directory.path)
                    let two = try ServeProcess(
                        ["--listen", "127.0.0.1:0", "--workers", "1"], environment: DatabaseProcessTests.environment(otherDirectory, database),
                        in: otherDirectory.path)
                    let first = try await WebSocketTestClient.open(port: try await MasterProcessTests.waitUntilReady(one), path: "/ws/broadcast")
                    let second = try await WebSocketTestClient.open(port: try await MasterProcessTests.waitUntilReady(two), path: "/ws/broadcast")
                    try await Self.waitUntilLinked(first, second)
                    try await Self.waitUntilLinked(second, first)
                    // Every third message is over NOTIFY's 8000 bytes and goes through hub_messages.
                    let sent = (0..<30).map { index in "n\(index) " + String(repeating: "x", count: index % 3 == 0 ? 10_000 : 10) }
                    for message in sent { try await first.sendText(message) }
                    for (client, name) in [(second, "the other node"), (first, "the sender, exactly once")] {
                        var received: [String] = []
                        while received.count < sent.count, let frame = await client.next() {
                            if frame.text.hasPrefix("n") { received.append(frame.text) }
                        }
                        #expect(received == sent, "\(name)")
                    }
                    #expect(await first.next(timeout: 1) == nil)
                    one.signal(SIGTERM)
                    two.signal(SIGTERM)
                    #expect(try await one.waitForExit() == 0)
                    #expect(try await two.waitForExit() == 0)
                }
            }
        }
    }
}
