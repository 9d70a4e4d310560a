import Foundation
import NIOSSL
import TestSupport
import Testing

/// TLS listeners after the handshake: WebSockets over HTTP/1.1 (`wss://`), malformed requests
/// answered as on plain listeners, and the deadlines that free a connection a client holds
/// without using it: the handshake's and HTTP/2's idle timeout.
@Suite struct SecureChannelTests {
    let tls = TLSTests()

    func headEnd(_ bytes: [UInt8]) -> Bool { String(decoding: bytes, as: UTF8.self).contains("\r\n\r\n") }

    @Test func aWebSocketOpensOverTLSAndEchoes() async throws {
        let files = try tls.files()
        defer { files.directory.remove() }
        try await withLiveServer(overrides: files.overrides, tls: true) { server in
            let connection = try await TLSConnection.open(port: server.port, trusting: files.ca, alpn: ["http/1.1"])
            let handshake = "GET /ws/echo HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            let opened = try await connection.exchange(Array(handshake.utf8), until: headEnd)
            let head = String(decoding: opened.bytes, as: UTF8.self)
            #expect(head.hasPrefix("HTTP/1.1 101 "))
            #expect(head.contains("Strict-Transport-Security: max-age=63072000; includeSubDomains"))
            let start = opened.bytes.count
            let echoed = try await connection.exchange(WebSocketTestClient.frame(opcode: 0x1, Array("over tls".utf8))) { $0.count >= start + 2 + 14 }
            #expect(Array(echoed.bytes[start...]) == [0x81, 14] + Array("Echo: over tls".utf8))
        }
    }

    @Test func aMalformedRequestOverTLSIsAnsweredAt400AndClosed() async throws {
        let files = try tls.files()
        defer { files.directory.remove() }
        try await withLiveServer(overrides: files.overrides, tls: true) { server in
            let connection = try await TLSConnection.open(port: server.port, trusting: files.ca, alpn: ["http/1.1"])
            let reply = try await connection.exchange(Array("GET /healthz HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n".utf8))
            let text = String(decoding: reply.bytes, as: UTF8.self)
            #expect(reply.closed)
            #expect(text.hasPrefix("HTTP/1.1 400 "))
            #expect(text.contains(#""error":"BadRequest""#))
        }
    }

    @Test func aClientThatNeverCompletesTheHandshakeIsClosedAtTheHandshakeTimeout() async throws {
        let files = try tls.files()
        defer { files.directory.remove() }
        let overrides = files.overrides.merging(["tls.handshake_timeout": "0.3", "server.header_timeout": "60"]) { $1 }
        try await withLiveServer(overrides: overrides, tls: true) { server in
            let silent = try RawConnection(port: server.port)
            #expect(await silent.readUntilClosed(timeout: 10).closedByServer)
            let trickling = try RawConnection(port: server.port)
            try trickling.send(bytes: [0x16, 0x03, 0x01, 0x02, 0x00, 0x01])
            #expect(await trickling.readUntilClosed(timeout: 10).closedByServer)
        }
    }

    /// The HTTP/2 preface and settings, then nothing: no stream ever opens, and the PING of the
    /// server's closing GOAWAY is never answered.
    @Test func anHTTP2ConnectionWithoutStreamsIsClosedAtTheIdleTimeout() async throws {
        let files = try tls.files()
        defer { files.directory.remove() }
        try await withLiveServer(overrides: files.overrides.merging(["server.idle_timeout": "0.5", "server.graceful_timeout": "0.5"]) { $1 }, tls: true) { server in
            let connection = try await TLSConnection.open(port: server.port, trusting: files.ca, alpn: ["h2"])
            let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + [0, 0, 0, 0x4, 0, 0, 0, 0, 0]
            let reply = try await connection.exchange(preface, timeout: .seconds(20))
            #expect(reply.closed)
            // The server's SETTINGS came first, and a GOAWAY (type 7) before the close.
            #expect(reply.bytes.count >= 9 && reply.bytes[3] == 0x4)
        }
    }
}
