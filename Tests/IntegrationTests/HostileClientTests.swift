import Foundation
import TestSupport
import Testing

/// What a hostile client sends to the release binary, and what it must see: each case names
/// the answer, and every case ends by checking that no worker died while it ran.
@Suite struct HostileClientTests {
    /// Starts `serve` with two workers; runs `body` with its port, then checks that the
    /// master logged no dead worker and that its two workers are the processes it started with.
    static func withServer(_ extra: [String: String] = [:], _ body: (ServeProcess, Int) async throws -> Void) async throws {
        try await withTemporaryDirectory { directory in
            let serve = try ServeProcess(["--listen", "127.0.0.1:0", "--workers", "2"], environment: serveEnvironment(directory, extra), in: directory.path)
            let port = try await MasterProcessTests.waitUntilReady(serve)
            let workers = children(of: serve.pid)
            #expect(workers.count == 2)
            try await body(serve, port)
            let died = MasterProcessTests.masterMessages(serve.records, "worker died")
            #expect(died.isEmpty, "workers died: \(died)")
            #expect(children(of: serve.pid) == workers, "the master's workers changed")
            serve.signal(SIGTERM)
            #expect(try await serve.waitForExit() == 0)
        }
    }

    /// The processes whose parent is `pid`, from /proc.
    static func children(of pid: Int32) -> Set<Int32> {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return Set(entries.compactMap { entry -> Int32? in
            guard let child = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == pid ? child : nil
        })
    }

    /// One character, 65 538 bytes: a topic the old rule counted as 1 character, and whose
    /// length overflowed the hub frame's two length bytes.
    static let combiningTopic = "a" + String(repeating: "\u{301}", count: 32_765)

    @Test func aTopicOfOneCharacterButTooManyBytesGetsAnErrorFrameEveryTime() async throws {
        try await Self.withServer { _, port in
            let attacker = try await WebSocketTestClient.open(port: port, path: "/ws/pubsub")
            let bystander = try await WebSocketTestClient.open(port: port, path: "/ws/echo")
            let frame = #"{"type":"publish","topic":"\#(Self.combiningTopic)","data":0}"#
            for round in 0..<100 {
                try await attacker.sendText(frame)
                let answer = await attacker.next(timeout: 10)
                #expect(answer?.text == #"{"message":"topic must be 1 to 256 bytes of UTF-8","type":"error"}"#, "round \(round)")
            }
            try await bystander.sendText("still here")
            #expect(await bystander.next()?.text == "Echo: still here")
        }
    }

    /// The header timeout is 30 s here, so an answer well within it comes from the parser's
    /// refusal, not from the timeout (the figure under load is bench work, not a test's).
    @Test func everyMalformedRequestIsAnsweredBeforeAnyTimeoutAndClosed() async throws {
        try await Self.withServer(["PORTCULLIS_SERVER_HEADER_TIMEOUT": "30"]) { serve, port in
            for malformed in MalformedRequests.all {
                let connection = try RawConnection(port: port)
                try? connection.send(bytes: malformed.bytes)
                let started = ContinuousClock.now
                let reading = await connection.read(timeout: 5) { $0.contains("\r\n\r\n") && isCompleteResponse($0) }
                #expect(ContinuousClock.now - started < .seconds(5), "\(malformed)")
                #expect(reading.text.hasPrefix("HTTP/1.1 \(malformed.status) "), "\(malformed): \(reading.text.prefix(120))")
                #expect(reading.text.lowercased().contains("\r\nconnection: close\r\n"), "\(malformed)")
                #expect(reading.text.contains(#""error":"#), "\(malformed)")
                #expect(await connection.readUntilClosed(timeout: 5).closedByServer, "\(malformed)")
            }
            // Access lines go through a batched sink: the last may follow its answer.
            try await MasterProcessTests.waitFor(serve, timeout: .seconds(10)) { records in
                records.filter { $0["logger"] as? String == "portcullis.access" && $0["method"] as? String == "-" }.count
                    == MalformedRequests.all.count
            }
        }
    }

    /// Frames RFC 6455 forbids, each on a connection of its own: the server closes with the
    /// code the RFC names (1002 protocol error, 1007 invalid data) and every worker lives.
    @Test func framesTheProtocolForbidsAreClosedWithTheirCodes() async throws {
        let cases: [(name: String, frame: [UInt8], code: Int)] = [
            ("invalid UTF-8 in a text frame", WebSocketTestClient.frame(opcode: 0x1, [0x61, 0xff, 0xfe]), 1007),
            ("a reserved opcode", WebSocketTestClient.frame(opcode: 0x3, [0x61]), 1002),
            ("a reserved control opcode", WebSocketTestClient.frame(opcode: 0xB, []), 1002),
            ("an unmasked client frame", [0x81, 0x02, 0x68, 0x69], 1002),
            ("reserved bits set", [0xB1, 0x82, 0, 0, 0, 0, 0x68, 0x69], 1002),
            ("a fragmented ping", WebSocketTestClient.frame(opcode: 0x9, [0x61], fin: false), 1002),
            ("a ping of 126 bytes", WebSocketTestClient.frame(opcode: 0x9, [UInt8](repeating: 0x61, count: 126)), 1002),
            ("a continuation with nothing to continue", WebSocketTestClient.frame(opcode: 0x0, [0x61]), 1002),
            ("a text frame inside a fragmented message",
             WebSocketTestClient.frame(opcode: 0x1, [0x61], fin: false) + WebSocketTestClient.frame(opcode: 0x1, [0x62]), 1002),
            ("a message over ws.max_message_bytes", WebSocketTestClient.frame(opcode: 0x2, [UInt8](repeating: 0x61, count: 1_048_577)), 1009),
        ]
        try await Self.withServer { _, port in
            for (name, frame, code) in cases {
                let client = try await WebSocketTestClient.open(port: port, path: "/ws/echo")
                #expect(client.status == 101, "\(name)")
                do {
                    try await client.sendRaw(frame)
                } catch where code == 1009 {
                    // The server closes once the frame's header says it is too large; the rest
                    // of the megabyte may then meet a reset. The close frame came first.
                }
                let close = await client.nextClose(timeout: 10)
                #expect(close?.closeCode == code, "\(name): \(String(describing: close))")
            }
        }
    }

    /// A compressed message of a few kilobytes that inflates to 2 MB: closed with 1009 as an
    /// oversized message, since `ws.max_message_bytes` applies after decompression.
    @Test func aDeflateBombIsClosedAsAnOversizedMessage() async throws {
        try await Self.withServer { _, port in
            let client = try await WebSocketTestClient.open(port: port, path: "/ws/echo", headers: [("Sec-WebSocket-Extensions", "permessage-deflate")])
            #expect(client.header("Sec-WebSocket-Extensions")?.hasPrefix("permessage-deflate") == true)
            let bomb = try WebSocketTestClient.deflate(String(repeating: "b", count: 2_000_000))
            #expect(bomb.count < 8192)
            try await client.send(opcode: 0x1, bomb, compressed: true)
            #expect(await client.nextClose()?.closeCode == 1009)
        }
    }

    /// 10 000 subscribe frames on one connection: the first `ws.max_subscriptions` are
    /// taken, every other gets an error frame, and the connection stays open.
    @Test func tenThousandSubscriptionsOnOneConnectionAreRefusedPastTheLimit() async throws {
        try await Self.withServer { _, port in
            let client = try await WebSocketTestClient.open(port: port, path: "/ws/pubsub")
            var subscribed = 0
            var refused = 0
            for index in 0..<10_000 {
                try await client.sendText(#"{"type":"subscribe","topic":"t\#(index)"}"#)
                let reply = await client.next()?.text ?? ""
                if reply.contains(#""type":"subscribed""#) { subscribed += 1 }
                if reply.contains("too many subscriptions") { refused += 1 }
            }
            #expect(subscribed == 100)
            #expect(refused == 9_900)
            try await client.sendText(#"{"type":"publish","topic":"t5","data":"still open"}"#)
            #expect(await client.next()?.text == #"{"data":"still open","topic":"t5","type":"message"}"#)
        }
    }

    /// Clients that send 1 MB messages to `/ws/echo` and never read: each is closed as a slow
    /// consumer once its replies fill `ws.send_queue_bytes`, and the server goes on serving. A
    /// client that reads within the close handshake's 5 s finds the 1008 behind its echoes, so
    /// each one reads as soon as the line naming its request ID is logged.
    @Test func echoClientsThatNeverReadAreClosedAtTheirByteBudget() async throws {
        try await Self.withServer { serve, port in
            let message = String(repeating: "z", count: 1_000_000)
            var open: [String: WebSocketTestClient] = [:]
            for index in 0..<4 {
                let id = "slow-consumer-\(index)"
                open[id] = try await WebSocketTestClient.open(port: port, path: "/ws/echo", headers: [("X-Request-ID", id)], receiveBuffer: 4096)
            }
            var closeCodes: [String: Int] = [:]
            for round in 0..<300 where !open.isEmpty {
                for client in open.values { try? await client.sendText(message) }
                if round % 4 == 3 { try await Task.sleep(for: .milliseconds(50)) }
                let closed = serve.records.filter { $0["msg"] as? String == "closing a WebSocket that does not read" }
                for record in closed {
                    guard let id = record["request_id"] as? String, let client = open.removeValue(forKey: id) else { continue }
                    closeCodes[id] = await client.nextClose(timeout: 30)?.closeCode
                }
            }
            #expect(open.isEmpty, "never closed: \(open.keys.sorted())")
            #expect(closeCodes == Dictionary(uniqueKeysWithValues: (0..<4).map { ("slow-consumer-\($0)", 1008) }))
            #expect(try await MasterProcessTests.get(port).status == .ok)
        }
    }

    /// Clients that trickle: a request head, a body, a TLS handshake. Each is cut at its
    /// deadline (1 s here), however slowly its bytes keep coming.
    @Test func slowClientsAreCutAtTheirDeadlines() async throws {
        let deadlines = ["PORTCULLIS_SERVER_HEADER_TIMEOUT": "1", "PORTCULLIS_SERVER_BODY_TIMEOUT": "1", "PORTCULLIS_SERVER_IDLE_TIMEOUT": "60"]
        try await Self.withServer(deadlines) { _, port in
            for (name, start) in [
                ("a head", "GET /healthz HTTP/1.1\r\nHost: a\r\n"),
                ("a body", "POST /users HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"),
            ] {
                let connection = try RawConnection(port: port)
                try connection.send(start)
                let trickle = Task {
                    for _ in 0..<100 {
                        try await Task.sleep(for: .milliseconds(200))
                        try connection.send(name == "a head" ? "X" : " ")
                    }
                }
                let reading = await connection.readUntilClosed(timeout: 15)
                trickle.cancel()
                #expect(reading.closedByServer, "\(name)")
            }
        }
        try await withTemporaryDirectory { directory in
            let chain = try TestCertificates.makeChain()
            let tls = [
                "PORTCULLIS_TLS_CERT_FILE": try directory.write("server.pem", chain.leaf.certificatePEM),
                "PORTCULLIS_TLS_KEY_FILE": try directory.write("server.key", chain.leaf.keyPEM),
                "PORTCULLIS_TLS_HANDSHAKE_TIMEOUT": "1",
            ]
            try await Self.withServer(deadlines.merging(tls) { $1 }) { _, port in
                let connection = try RawConnection(port: port)
                try connection.send(bytes: [0x16, 0x03, 0x01])
                let trickle = Task {
                    for _ in 0..<100 {
                        try await Task.sleep(for: .milliseconds(200))
                        try connection.send(bytes: [0x02])
                    }
                }
                let reading = await connection.readUntilClosed(timeout: 15)
                trickle.cancel()
                #expect(reading.closedByServer, "a TLS handshake")
            }
        }
    }
}
