import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A plain blocking socket for tests that must control every byte: partial heads, chunked
/// bodies, idle connections. Reads run on a Dispatch thread so they never block Swift's
/// cooperative pool, which the server under test shares.
public final class RawConnection: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    private let fd: Int32

    /// Connects over TCP to an IPv4 address.
    public init(host: String = "127.0.0.1", port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            throw Failure(description: "connect to \(host):\(port) failed: errno \(errno)")
        }
    }

    /// Connects to a unix socket.
    public init(unixPath: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in unixPath.utf8.prefix(raw.count - 1).enumerated() { raw[index] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else {
            throw Failure(description: "connect to \(unixPath) failed: errno \(errno)")
        }
    }

    /// Also runs when an initializer throws, the descriptor being set by then: closing it
    /// there as well would close whatever descriptor another thread opened meanwhile.
    deinit { close(fd) }

    public func send(_ text: String) throws {
        try send(bytes: Array(text.utf8))
    }

    public func send(bytes: [UInt8]) throws {
        var bytes = bytes
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeMutableBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw Failure(description: "send failed: errno \(errno)") }
            offset += sent
        }
    }

    /// What was read, and whether the server closed the connection before `timeout` ran out.
    public struct Reading: Sendable {
        public let text: String
        public let closedByServer: Bool
    }

    /// Reads until the server closes the connection, or `timeout` seconds pass.
    public func readUntilClosed(timeout: Double) async -> Reading {
        await read(timeout: timeout) { _ in false }
    }

    /// Reads until `done` says the text so far is complete, the server closes, or `timeout` passes.
    public func read(timeout: Double, until done: @escaping @Sendable (String) -> Bool) async -> Reading {
        let fd = self.fd
        return await withCheckedContinuation { continuation in
            // A queue of its own: the global queue has as many threads as CPUs, and a few reads
            // blocked in poll would hold up every other user of it.
            DispatchQueue(label: "raw-connection-read").async {
                let deadline = Date().addingTimeInterval(timeout)
                var received = [UInt8]()
                var buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let remaining = deadline.timeIntervalSinceNow
                    if remaining <= 0 { break }
                    var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    let ready = poll(&poller, 1, Int32(remaining * 1000) + 1)
                    if ready <= 0 { continue }
                    let count = recv(fd, &buffer, buffer.count, 0)
                    if count <= 0 {
                        continuation.resume(returning: Reading(text: String(decoding: received, as: UTF8.self), closedByServer: true))
                        return
                    }
                    received += buffer[0..<count]
                    if done(String(decoding: received, as: UTF8.self)) { break }
                }
                continuation.resume(returning: Reading(text: String(decoding: received, as: UTF8.self), closedByServer: false))
            }
        }
    }
}

/// Whether `text` holds a whole HTTP/1.1 response with a `Content-Length` body.
public func isCompleteResponse(_ text: String) -> Bool {
    guard let headEnd = text.range(of: "\r\n\r\n") else { return false }
    let head = text[..<headEnd.lowerBound].lowercased()
    guard let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
        let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
    else { return true }
    return text[headEnd.upperBound...].utf8.count >= length
}
