import Foundation
import TestSupport
import Testing

/// What a hostile client sends to the release binary, and what it must see: each case names
/// the answer, and every case ends by checking that no worker died while it ran.
@Suite struct HostileClientTests {
    /// Starts `serve` with two workers; runs `body` with its port, then checks the master
    /// logged no dead worker.
    static func withServer(_ extra: [String: String] = [:], _ body: (ServeProcess, Int) async throws -> Void) async throws {
        try await withTemporaryDirectory { directory in
            let serve = try ServeProcess(["--listen", "127.0.0.1:0", "--workers", "2"], environment: serveEnvironment(directory, extra), in: directory.path)
            let port = try await MasterProcessTests.waitUntilReady(serve)
            try await body(serve, port)
            let died = MasterProcessTests.masterMessages(serve.records, "worker died")
            #expect(died.isEmpty, "workers died: \(died)")
            serve.signal(SIGTERM)
            #expect(try await serve.waitForExit() == 0)
        }
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
            let refused = serve.records.filter { $0["logger"] as? String == "portcullis.access" && $0["method"] as? String == "-" }
            #expect(refused.count == MalformedRequests.all.count)
        }
    }
}
