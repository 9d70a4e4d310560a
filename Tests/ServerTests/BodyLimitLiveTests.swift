import PortcullisApp
import PortcullisHTTP
import TestSupport
import Testing

@Suite struct BodyLimitLiveTests {
    func echo(_ builder: inout ApplicationBuilder) {
        var blueprint = Blueprint(name: "echo")
        blueprint.post("echo") { request, _ in
            let body = try await request.body.collect(upTo: .max)
            return try JSONResponse.make(["bytes": body.readableBytes])
        }
        builder.register(blueprint)
    }

    /// Sends `pieces` pieces of `bytes` bytes of a body, 10 ms apart, for at most 30 s; the
    /// first send that failed, nil if none did.
    func keepSending(_ connection: RawConnection, pieces: Int, bytes: Int) async throws -> String? {
        let piece = [UInt8](repeating: 0x78, count: bytes)
        let giveUp = ContinuousClock.now + .seconds(30)
        var sent = 0
        while sent < pieces && ContinuousClock.now < giveUp {
            do { try connection.send(bytes: piece) } catch { return "\(error)" }
            sent += 1
            try await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    @Test func aChunkedBodyOverTheLimitGets413AndTheConnectionCloses() async throws {
        try await withLiveServer(overrides: ["server.max_body_bytes": "100"], customize: echo) { server in
            let connection = try RawConnection(port: server.port)
            let chunk = String(repeating: "x", count: 80)
            try connection.send("POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n")
            try connection.send("50\r\n\(chunk)\r\n50\r\n\(chunk)\r\n")
            let reading = await connection.readUntilClosed(timeout: 10)
            #expect(reading.text.hasPrefix("HTTP/1.1 413"))
            #expect(reading.text.contains("\"error\":\"PayloadTooLarge\""))
            #expect(reading.closedByServer)
        }
    }

    /// RFC 9112 §9.6: a client may finish sending a body the server refused before it reads the
    /// answer (AsyncHTTPClient does). Had the server closed at once, those writes would meet a
    /// reset and the client would report "I/O on closed channel" instead of the 413.
    @Test func aClientThatFinishesSendingARefusedBodyIsNotReset() async throws {
        try await withLiveServer(overrides: ["server.max_body_bytes": "100"], customize: echo) { server in
            let connection = try RawConnection(port: server.port)
            try connection.send("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n")
            let answer = await connection.read(timeout: 10, until: isCompleteResponse)
            #expect(answer.text.hasPrefix("HTTP/1.1 413"))
            let failure = try await keepSending(connection, pieces: 20, bytes: 5000)
            #expect(failure == nil, "the rest of the body was written without a reset")
            #expect(await connection.readUntilClosed(timeout: 10).closedByServer)
        }
    }

    @Test func aClientThatGoesOnSendingARefusedBodyIsCutOff() async throws {
        try await withLiveServer(overrides: ["server.max_body_bytes": "100"], customize: echo) { server in
            let connection = try RawConnection(port: server.port)
            try connection.send("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000000000\r\n\r\n")
            let reading = await connection.readUntilClosed(timeout: 10)
            #expect(reading.text.hasPrefix("HTTP/1.1 413"))
            #expect(reading.closedByServer, "the response is followed by the end of the server's side")
            let failure = try await keepSending(connection, pieces: .max, bytes: 65536)
            #expect(failure != nil, "the rest of a refused body is read for a bounded time, not forever")
        }
    }

    @Test func aChunkedBodyWithinTheLimitIsServed() async throws {
        try await withLiveServer(overrides: ["server.max_body_bytes": "100"], customize: echo) { server in
            let connection = try RawConnection(port: server.port)
            try connection.send("POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n")
            let reading = await connection.read(timeout: 10, until: isCompleteResponse)
            #expect(reading.text.hasPrefix("HTTP/1.1 200"))
            #expect(reading.text.hasSuffix("{\"bytes\":16}"))
        }
    }

    @Test func aDeclaredContentLengthOverTheLimitIsRefusedWithoutReadingTheBody() async throws {
        try await withLiveServer(overrides: ["server.max_body_bytes": "100"], customize: echo) { server in
            let connection = try RawConnection(port: server.port)
            try connection.send("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10000000\r\n\r\nfirst bytes")
            let reading = await connection.readUntilClosed(timeout: 10)
            #expect(reading.text.hasPrefix("HTTP/1.1 413"))
            #expect(reading.closedByServer)
        }
    }
}
