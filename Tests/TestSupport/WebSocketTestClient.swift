import CompressNIO
import Dispatch
import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// A WebSocket client on a plain blocking socket, written out byte by byte so tests control
/// everything a library would hide: the handshake's headers, oversized and compressed frames,
/// a receive buffer so small that a client that stops reading really stops the server's
/// writes, and the close code and reason the server sent.
public final class WebSocketTestClient: @unchecked Sendable {
    /// One frame from the server.
    public struct Frame: Sendable, Equatable {
        public let opcode: UInt8
        public let payload: [UInt8]
        public let compressed: Bool

        public var text: String { String(decoding: payload, as: UTF8.self) }
        public var isClose: Bool { opcode == 0x8 }
        /// The close code of a close frame.
        public var closeCode: Int? {
            guard isClose, payload.count >= 2 else { return nil }
            return Int(payload[0]) << 8 | Int(payload[1])
        }
        /// The close reason of a close frame.
        public var closeReason: String { isClose ? String(decoding: payload.dropFirst(2), as: UTF8.self) : "" }
    }

    private let fd: Int32
    private let queue = DispatchQueue(label: "websocket-test-client")
    private let writes = DispatchQueue(label: "websocket-test-client-writes")
    private var pending = [UInt8]()
    /// The server's handshake response: its status line and headers.
    public private(set) var response = ""
    /// The body of a response that refused the handshake.
    public private(set) var body = ""

    /// Connects and sends the handshake for `path`; read ``response`` or ``status`` for the
    /// answer. Socket work runs on serial Dispatch queues of the client's own — never on the
    /// cooperative pool the server under test shares, nor on the global queue, whose few
    /// threads blocking reads would hold up.
    /// - Parameter receiveBuffer: a small `SO_RCVBUF` for a client that will not read.
    public static func open(port: Int, path: String, headers: [(String, String)] = [], receiveBuffer: Int32? = nil) async throws -> WebSocketTestClient {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue(label: "websocket-test-client-open").async {
                continuation.resume(with: Result { try WebSocketTestClient(port: port, path: path, headers: headers, receiveBuffer: receiveBuffer) })
            }
        }
    }

    private init(port: Int, path: String, headers: [(String, String)], receiveBuffer: Int32?) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw RawConnection.Failure(description: "connect to port \(port) failed: errno \(errno)") }
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        try write(Array((request + "\r\n").utf8))
        response = try readHead()
        if status != 101, let length = header("Content-Length").flatMap(Int.init) {
            let deadline = Date().addingTimeInterval(10)
            while pending.count < length, fill(until: deadline) {}
            body = String(decoding: pending.prefix(length), as: UTF8.self)
            pending.removeFirst(min(length, pending.count))
        }
    }

    deinit { close(fd) }

    /// Ends the connection without a close frame.
    public func disconnect() { shutdown(fd, Int32(SHUT_RDWR)) }

    /// The handshake's status code: 101 when upgraded.
    public var status: Int {
        Int(response.split(separator: " ", maxSplits: 2).dropFirst().first ?? "") ?? 0
    }

    /// A response header's value, case-insensitively.
    public func header(_ name: String) -> String? {
        for line in response.split(separator: "\r\n").dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == name.lowercased() {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    public func sendText(_ text: String) async throws { try await send(opcode: 0x1, Array(text.utf8)) }
    public func sendBinary(_ bytes: [UInt8]) async throws { try await send(opcode: 0x2, bytes) }

    /// Sends a close frame with `code`.
    public func sendClose(code: Int = 1000) async throws {
        try await send(opcode: 0x8, [UInt8(code >> 8), UInt8(code & 0xff)])
    }

    /// Sends one masked frame, as a client must.
    public func send(opcode: UInt8, _ payload: [UInt8], fin: Bool = true, compressed: Bool = false) async throws {
        let frame = Self.frame(opcode: opcode, payload, fin: fin, compressed: compressed)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            writes.async { continuation.resume(with: Result { try self.write(frame) }) }
        }
    }

    /// Sends bytes as they are: frames no well-behaved client makes.
    public func sendRaw(_ bytes: [UInt8]) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            writes.async { continuation.resume(with: Result { try self.write(bytes) }) }
        }
    }

    /// `text` compressed as one permessage-deflate message (RFC 7692: raw deflate, the
    /// trailing empty block's four bytes removed).
    public static func deflate(_ text: String) throws -> [UInt8] {
        let compressor = try ZlibCompressor(algorithm: .deflate)
        var buffer = ByteBuffer(string: text)
        let compressed = try buffer.compressStream(with: compressor, flush: .sync, allocator: ByteBufferAllocator())
        return Array(compressed.readableBytesView.dropLast(4))
    }

    /// The bytes of one masked client frame.
    public static func frame(opcode: UInt8, _ payload: [UInt8], fin: Bool = true, compressed: Bool = false) -> [UInt8] {
        var frame: [UInt8] = [(fin ? 0x80 : 0) | (compressed ? 0x40 : 0) | opcode]
        switch payload.count {
        case ..<126: frame.append(0x80 | UInt8(payload.count))
        case ..<65536: frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xff)]
        default:
            frame.append(0x80 | 127)
            frame += (0..<8).reversed().map { UInt8((UInt64(payload.count) >> (UInt64($0) * 8)) & 0xff) }
        }
        // A zero masking key: the mask bit is set as a client must, and the payload goes as is
        // (masking protects proxies from scripted clients, not tests from the server).
        frame += [0, 0, 0, 0]
        frame += payload
        return frame
    }

    /// The next frame other than a ping (which is answered), or nil when the connection closed
    /// or `timeout` seconds passed.
    public func next(timeout: Double = 10) async -> Frame? {
        await withCheckedContinuation { continuation in
            queue.async {
                let deadline = Date().addingTimeInterval(timeout)
                while let frame = self.readFrame(until: deadline) {
                    if frame.opcode == 0x9 {
                        let pong = Self.frame(opcode: 0xA, frame.payload)
                        self.writes.async { try? self.write(pong) }
                        continue
                    }
                    continuation.resume(returning: frame)
                    return
                }
                continuation.resume(returning: nil)
            }
        }
    }

    /// Reads frames until a close frame, which it returns; nil when the connection ended without one.
    public func nextClose(timeout: Double = 10) async -> Frame? {
        while let frame = await next(timeout: timeout) {
            if frame.isClose { return frame }
        }
        return nil
    }

    private func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw RawConnection.Failure(description: "send failed: errno \(errno)") }
            offset += sent
        }
    }

    private func readHead() throws -> String {
        let deadline = Date().addingTimeInterval(10)
        while true {
            if let end = pending.firstRange(of: [13, 10, 13, 10]) {
                let head = String(decoding: pending[..<end.lowerBound], as: UTF8.self)
                pending.removeSubrange(..<end.upperBound)
                return head
            }
            guard fill(until: deadline) else {
                throw RawConnection.Failure(description: "no handshake response; got \(String(decoding: pending, as: UTF8.self))")
            }
        }
    }

    /// Reads more bytes into `pending`; false on close or when the deadline passed.
    private func fill(until deadline: Date) -> Bool {
        let remaining = deadline.timeIntervalSinceNow
        guard remaining > 0 else { return false }
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(remaining * 1000) + 1) > 0 else { return false }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return false }
        pending += buffer[0..<count]
        return true
    }

    private func readFrame(until deadline: Date) -> Frame? {
        while true {
            if let frame = parseFrame() { return frame }
            guard fill(until: deadline) else { return nil }
        }
    }

    private func parseFrame() -> Frame? {
        guard pending.count >= 2 else { return nil }
        var length = Int(pending[1] & 0x7f)
        var offset = 2
        if length == 126 {
            guard pending.count >= 4 else { return nil }
            length = Int(pending[2]) << 8 | Int(pending[3])
            offset = 4
        } else if length == 127 {
            guard pending.count >= 10 else { return nil }
            length = pending[2..<10].reduce(0) { $0 << 8 | Int($1) }
            offset = 10
        }
        guard pending.count >= offset + length else { return nil }
        let frame = Frame(opcode: pending[0] & 0x0f, payload: Array(pending[offset..<(offset + length)]), compressed: pending[0] & 0x40 != 0)
        pending.removeSubrange(..<(offset + length))
        return frame
    }
}
