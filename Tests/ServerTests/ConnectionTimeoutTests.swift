import Hummingbird
import NIOCore
import PortcullisApp
import TestSupport
import Testing

@Suite struct ConnectionTimeoutTests {
    let request = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"

    @Test func aClientThatNeverFinishesItsRequestHeadIsDisconnected() async throws {
        try await withLiveServer(overrides: ["server.header_timeout": "0.3", "server.idle_timeout": "30"]) { server in
            let slow = try RawConnection(port: server.port)
            try slow.send("GET /healthz HTTP/1.1\r\nHost: loc")
            let reading = await slow.readUntilClosed(timeout: 10)
            #expect(reading.closedByServer)
            #expect(reading.text.isEmpty)

            let silent = try RawConnection(port: server.port)
            #expect(await silent.readUntilClosed(timeout: 10).closedByServer)
        }
    }

    @Test func aPromptClientIsServedAndItsNextSlowHeadIsCut() async throws {
        try await withLiveServer(overrides: ["server.header_timeout": "0.3", "server.idle_timeout": "30"]) { server in
            let connection = try RawConnection(port: server.port)
            try connection.send(request)
            let first = await connection.read(timeout: 10, until: isCompleteResponse)
            #expect(first.text.hasPrefix("HTTP/1.1 200 OK"))
            #expect(!first.closedByServer)
            try connection.send("GET /heal")
            #expect(await connection.readUntilClosed(timeout: 10).closedByServer)
        }
    }

    /// Each byte arrives well inside the idle timeout, so only the whole-body deadline can end it.
    @Test func aBodyTrickledByteByByteIsCutAtTheBodyTimeout() async throws {
        try await withLiveServer(overrides: ["server.body_timeout": "0.5", "server.idle_timeout": "30", "server.header_timeout": "30"]) { server in
            let connection = try RawConnection(port: server.port)
            try connection.send("POST /users HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
            let trickle = Task {
                for _ in 0..<100 {
                    try await Task.sleep(for: .milliseconds(100))
                    try connection.send(" ")
                }
            }
            let reading = await connection.readUntilClosed(timeout: 8)
            trickle.cancel()
            #expect(reading.closedByServer)
        }
    }

    @Test func anIdleKeepAliveConnectionIsClosed() async throws {
        try await withLiveServer(overrides: ["server.header_timeout": "30", "server.idle_timeout": "0.3"]) { server in
            let connection = try RawConnection(port: server.port)
            try connection.send(request)
            let reading = await connection.readUntilClosed(timeout: 10)
            #expect(reading.text.hasPrefix("HTTP/1.1 200 OK"))
            #expect(reading.closedByServer)
        }
    }
}

/// A request the parser refuses is answered at once — 400, or 431 for an oversized header
/// section — with the JSON error body and `Connection: close`, logged, and the connection closes.
@Suite struct MalformedRequestTests {
    @Test(arguments: MalformedRequests.all)
    func aMalformedRequestIsAnsweredAtOnceAndTheConnectionCloses(_ malformed: MalformedRequests.Case) async throws {
        try await withLiveServer(overrides: ["server.header_timeout": "30"]) { server in
            let connection = try RawConnection(port: server.port)
            try? connection.send(bytes: malformed.bytes)
            let started = ContinuousClock.now
            let reading = await connection.readUntilClosed(timeout: 10)
            #expect(ContinuousClock.now - started < .seconds(5))
            #expect(reading.closedByServer)
            #expect(reading.text.hasPrefix("HTTP/1.1 \(malformed.status) "), "\(reading.text.prefix(200))")
            let head = reading.text.lowercased()
            #expect(head.contains("\r\nconnection: close\r\n"))
            #expect(head.contains("\r\ncontent-type: application/json; charset=utf-8\r\n"))
            #expect(head.contains("\r\nx-content-type-options: nosniff\r\n"))
            let code = malformed.status == 431 ? "RequestHeaderFieldsTooLarge" : "BadRequest"
            #expect(reading.text.contains(#","error":"\#(code)","#))
            // The access line goes through the batched log sink: it may follow the answer.
            let requestID = try #require(reading.text.split(separator: "\r\n").first { $0.lowercased().hasPrefix("x-request-id:") }?.split(separator: " ").last)
            var logged = false
            for _ in 0..<500 where !logged {
                logged = server.logs.records.contains { $0["request_id"] as? String == String(requestID) && $0["status"] as? Int == malformed.status }
                if !logged { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(logged)
        }
    }

    @Test func aValidRequestOnTheSameConnectionIsServedBeforeAMalformedOneIsRefused() async throws {
        try await withLiveServer { server in
            let connection = try RawConnection(port: server.port)
            try connection.send("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
            let first = await connection.read(timeout: 10, until: isCompleteResponse)
            #expect(first.text.hasPrefix("HTTP/1.1 200 "))
            try connection.send("GET /healthz HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n")
            let second = await connection.readUntilClosed(timeout: 10)
            #expect(second.closedByServer)
            #expect(second.text.hasPrefix("HTTP/1.1 400 "))
        }
    }

    /// A 400 in the middle of a body would corrupt the response under way: the connection is cut.
    @Test func aMalformedRequestArrivingWhileAResponseStreamsCutsTheConnection() async throws {
        let slowBody: (inout ApplicationBuilder) -> Void = { builder in
            var blueprint = Blueprint(name: "slow")
            blueprint.get("slow") { _, _ in
                Response(status: .ok, body: ResponseBody { writer in
                    try await writer.write(ByteBuffer(string: "first-part;"))
                    try await Task.sleep(for: .milliseconds(500))
                    try await writer.write(ByteBuffer(string: "second-part"))
                    try await writer.finish(nil)
                })
            }
            builder.register(blueprint)
        }
        try await withLiveServer(customize: slowBody) { server in
            let connection = try RawConnection(port: server.port)
            try connection.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
            let head = await connection.read(timeout: 10) { $0.contains("first-part;") }
            #expect(head.text.hasPrefix("HTTP/1.1 200 "))
            try connection.send("GET /healthz HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n")
            let rest = await connection.readUntilClosed(timeout: 10)
            #expect(rest.closedByServer)
            #expect(!rest.text.contains("HTTP/1.1 400"), "a 400 went out inside the streaming body: \(rest.text)")
        }
    }
}

/// `server.max_connections`: a full worker leaves new connections in the backlog until one of
/// its own closes.
@Suite struct ConnectionLimitTests {
    @Test func aWorkerHoldingMaxConnectionsAcceptsTheNextOnlyWhenOneCloses() async throws {
        try await withLiveServer(overrides: ["server.max_connections": "2", "server.header_timeout": "60"]) { server in
            var held = [try RawConnection(port: server.port), try RawConnection(port: server.port)]
            // Let the server accept both, so the third is really the third.
            try await Task.sleep(for: .milliseconds(200))
            let waiting = try RawConnection(port: server.port)
            try waiting.send("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
            let early = await waiting.read(timeout: 1, until: isCompleteResponse)
            #expect(early.text.isEmpty, "a full worker answered: \(early.text.prefix(40))")
            held.removeFirst()
            let later = await waiting.read(timeout: 10, until: isCompleteResponse)
            #expect(later.text.hasPrefix("HTTP/1.1 200 "))
            withExtendedLifetime(held) {}
        }
    }
}
