import Foundation
import NIOSSL
import TestSupport
import Testing

/// HTTP/2 abuse against a TLS listener of the release binary, frame by frame: each case
/// states what the client must see, and afterwards the server still answers and no worker died.
@Suite struct HTTP2AbuseTests {
    /// A frame: 3 bytes of length, type, flags, 4 bytes of stream id, the payload.
    static func frame(_ type: UInt8, flags: UInt8 = 0, stream: UInt32 = 0, _ payload: [UInt8] = []) -> [UInt8] {
        let length = UInt32(payload.count)
        return [UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), type, flags,
                UInt8(stream >> 24 & 0x7f), UInt8(stream >> 16 & 0xff), UInt8(stream >> 8 & 0xff), UInt8(stream & 0xff)] + payload
    }

    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + frame(0x4)
    /// `GET https://localhost/healthz` in HPACK: static-table method and scheme, literal path and authority.
    static let getHealth: [UInt8] = [0x82, 0x87, 0x44, 0x08] + Array("/healthz".utf8) + [0x41, 0x09] + Array("localhost".utf8)
    static func headers(stream: UInt32, endStream: Bool = true) -> [UInt8] {
        frame(0x1, flags: 0x4 | (endStream ? 0x1 : 0), stream: stream, getHealth)
    }
    static let goAway: UInt8 = 0x7

    /// The frame types in what the server sent, in order.
    static func types(_ bytes: [UInt8]) -> [UInt8] {
        var types: [UInt8] = []
        var offset = 0
        while offset + 9 <= bytes.count {
            let length = Int(bytes[offset]) << 16 | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
            types.append(bytes[offset + 3])
            offset += 9 + length
        }
        return types
    }

    static func withTLSServer(_ body: (Int, NIOSSLCertificate) async throws -> Void) async throws {
        try await withTemporaryDirectory { directory in
            let chain = try TestCertificates.makeChain()
            let cert = try directory.write("server.pem", chain.leaf.certificatePEM)
            let key = try directory.write("server.key", chain.leaf.keyPEM)
            let ca = try NIOSSLCertificate(bytes: Array(chain.caPEM.utf8), format: .pem)
            try await HostileClientTests.withServer(["PORTCULLIS_TLS_CERT_FILE": cert, "PORTCULLIS_TLS_KEY_FILE": key]) { _, port in
                try await body(port, ca)
                let after = try await TLSConnection.open(port: port, trusting: ca, alpn: ["h2"])
                let reply = try await after.exchange(preface + headers(stream: 1)) { types($0).contains(0x0) }
                #expect(types(reply.bytes).contains(0x1), "the server answers a plain request afterwards")
                await after.close()
            }
        }
    }

    @Test func rapidResetIsEndedWithGoAway() async throws {
        try await Self.withTLSServer { port, ca in
            let connection = try await TLSConnection.open(port: port, trusting: ca, alpn: ["h2"])
            var burst = Self.preface
            for index in 0..<2_000 {
                let stream = UInt32(2 * index + 1)
                burst += Self.headers(stream: stream, endStream: false) + Self.frame(0x3, stream: stream, [0, 0, 0, 8])
            }
            let reply = try await connection.exchange(burst, timeout: .seconds(20)) { Self.types($0).contains(Self.goAway) }
            #expect(Self.types(reply.bytes).contains(Self.goAway))
            await connection.close()
        }
    }

    @Test func anEndlessHeaderBlockOfContinuationFramesIsEndedWithGoAway() async throws {
        try await Self.withTLSServer { port, ca in
            let connection = try await TLSConnection.open(port: port, trusting: ca, alpn: ["h2"])
            var flood = Self.preface + Self.frame(0x1, stream: 1, Self.getHealth)
            let filler = [UInt8](repeating: 0x40, count: 1) + [0x05] + Array("x-pad".utf8) + [0x7f, 0x81, 0x7f] + [UInt8](repeating: 0x61, count: 16_000)
            for _ in 0..<200 { flood += Self.frame(0x9, stream: 1, filler) }
            let reply = try await connection.exchange(flood, timeout: .seconds(20)) { Self.types($0).contains(Self.goAway) }
            #expect(Self.types(reply.bytes).contains(Self.goAway) || reply.closed)
            await connection.close()
        }
    }

    @Test func aWindowUpdateThatOverflowsTheWindowIsAFlowControlError() async throws {
        try await Self.withTLSServer { port, ca in
            let connection = try await TLSConnection.open(port: port, trusting: ca, alpn: ["h2"])
            var flood = Self.preface
            for _ in 0..<1_000 { flood += Self.frame(0x8, [0x7f, 0xff, 0xff, 0xff]) }
            let reply = try await connection.exchange(flood, timeout: .seconds(20)) { Self.types($0).contains(Self.goAway) }
            #expect(Self.types(reply.bytes).contains(Self.goAway))
            await connection.close()
        }
    }

    /// 300 streams left open (no END_STREAM) where the server's SETTINGS allow 100: SwiftNIO
    /// treats the 101st as a connection error and ends the connection with GOAWAY.
    @Test func streamsBeyondTheConcurrencyLimitEndTheConnectionWithGoAway() async throws {
        try await Self.withTLSServer { port, ca in
            let connection = try await TLSConnection.open(port: port, trusting: ca, alpn: ["h2"])
            var opening = Self.preface
            for index in 0..<300 { opening += Self.headers(stream: UInt32(2 * index + 1), endStream: false) }
            let reply = try await connection.exchange(opening, timeout: .seconds(20)) { Self.types($0).contains(Self.goAway) }
            #expect(Self.types(reply.bytes).contains(Self.goAway))
            await connection.close()
        }
    }
}
