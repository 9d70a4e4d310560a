import Foundation
import Glibc
import Synchronization

/// A stand-in for systemd's notification socket: a unix datagram socket whose path goes in
/// `NOTIFY_SOCKET`, collecting every message `sd_notify` sends.
public final class NotifySocket: Sendable {
    public let path: String
    private let fd: Int32
    private let received = Mutex<[(at: ContinuousClock.Instant, message: String)]>([])

    public init(directory: String) throws {
        let path = directory + "/notify.sock"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        self.path = path
        self.fd = fd
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw ProcessFailure(description: "cannot bind \(path): errno \(errno)") }
        Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = recv(fd, &buffer, buffer.count, 0)
                if count <= 0 { break }
                let message = String(decoding: buffer[0..<count], as: UTF8.self)
                received.withLock { $0.append((ContinuousClock.now, message)) }
            }
        }.start()
    }

    deinit {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    /// Every message so far, each a `KEY=value` block as sent.
    public var messages: [String] { received.withLock { $0.map(\.message) } }

    /// When each message containing `line` arrived.
    public func arrivals(of line: String) -> [ContinuousClock.Instant] {
        received.withLock { $0.filter { $0.message.split(separator: "\n").contains(Substring(line)) }.map(\.at) }
    }

    /// Waits until a message contains `line` (such as `READY=1`); returns that message.
    @discardableResult
    public func waitFor(_ line: String, after skip: Int = 0, timeout: Duration = .seconds(30)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let message = messages.dropFirst(skip).first(where: { $0.split(separator: "\n").contains(Substring(line)) }) {
                return message
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ProcessFailure(description: "no \(line) in \(messages)")
    }
}

/// A loopback TCP port that was free a moment ago, for tools that need a port up front.
public func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard ok else { throw ProcessFailure(description: "no free port: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}
