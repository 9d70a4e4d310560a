import Glibc
import PortcullisPlatform

/// A listening socket the master owns and its workers inherit: bound here with plain POSIX
/// calls, close-on-exec, and kept at a descriptor of 100 or more so that placing the
/// inherited descriptors at 3, 4, … in a worker never collides with one.
public struct ListeningSocket: Sendable {
    public let descriptor: Int32
    /// The address as bound, with the real port when 0 was asked for.
    public let boundDescription: String
    /// The socket file this process created and removes on close; nil for TCP and for sockets systemd owns.
    let ownedPath: String?
    /// Whether workers speak TLS on it.
    public var tls = false

    public struct BindError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Takes over a socket systemd passed, moving it out of the way of the worker descriptors.
    static func adopt(_ passed: SocketActivation.Passed) throws(BindError) -> ListeningSocket {
        let high = fcntl(passed.descriptor, F_DUPFD_CLOEXEC, 100)
        guard high >= 0 else {
            throw BindError(description: "cannot take over socket \(passed.name) (fd \(passed.descriptor)): \(String(cString: strerror(errno)))")
        }
        Glibc.close(passed.descriptor)
        return ListeningSocket(descriptor: high, boundDescription: describeLocalAddress(high), ownedPath: nil)
    }

    public static func bind(_ address: ListenAddress) throws(BindError) -> ListeningSocket {
        switch address {
        case .tcp(let host, let port): return try bindTCP(address, host: host, port: port)
        case .unix(let path): return try bindUnix(address, path: path)
        }
    }

    private static func failure(_ address: ListenAddress, _ what: String) -> BindError {
        BindError(description: "cannot listen on \(address): \(what): \(String(cString: strerror(errno)))")
    }

    private static func bindTCP(_ address: ListenAddress, host: String, port: Int) throws(BindError) -> ListeningSocket {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var results: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &results)
        guard status == 0, let info = results else {
            throw BindError(description: "cannot listen on \(address): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(results) }
        let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw failure(address, "socket") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if info.pointee.ai_family == AF_INET6 {
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        guard Glibc.bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let error = failure(address, "bind")
            Glibc.close(fd)
            throw error
        }
        return try finish(fd, address: address, ownedPath: nil)
    }

    private static func bindUnix(_ address: ListenAddress, path: String) throws(BindError) -> ListeningSocket {
        var info = stat()
        if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFSOCK { unlink(path) }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw failure(address, "socket") }
        guard UnixAddress.with(path, { Glibc.bind(fd, $0, $1) }) == 0 else {
            let error = failure(address, "bind")
            Glibc.close(fd)
            throw error
        }
        chmod(path, 0o660)
        return try finish(fd, address: address, ownedPath: path)
    }

    private static func finish(_ fd: Int32, address: ListenAddress, ownedPath: String?) throws(BindError) -> ListeningSocket {
        guard listen(fd, 1024) == 0 else {
            let error = failure(address, "listen")
            Glibc.close(fd)
            throw error
        }
        let high = fcntl(fd, F_DUPFD_CLOEXEC, 100)
        Glibc.close(fd)
        guard high >= 0 else { throw failure(address, "fcntl") }
        return ListeningSocket(descriptor: high, boundDescription: describeLocalAddress(high), ownedPath: ownedPath)
    }

    /// `127.0.0.1:8080`, `[::1]:8443` or `unix:/run/portcullis/http.sock`, as the kernel reports it.
    static func describeLocalAddress(_ fd: Int32) -> String {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) == 0 }
        }
        guard ok else { return "fd \(fd)" }
        let family = Int32(storage.ss_family)
        return withUnsafePointer(to: &storage) { pointer in
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            switch family {
            case AF_INET:
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                    var raw = address.pointee.sin_addr
                    inet_ntop(AF_INET, &raw, &text, socklen_t(text.count))
                    return "\(cText(text)):\(UInt16(bigEndian: address.pointee.sin_port))"
                }
            case AF_INET6:
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                    var raw = address.pointee.sin6_addr
                    inet_ntop(AF_INET6, &raw, &text, socklen_t(text.count))
                    return "[\(cText(text))]:\(UInt16(bigEndian: address.pointee.sin6_port))"
                }
            case AF_UNIX:
                return pointer.withMemoryRebound(to: sockaddr_un.self, capacity: 1) { address in
                    var path = address.pointee.sun_path
                    let text = withUnsafeBytes(of: &path) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                    return "unix:" + text
                }
            default:
                return "fd \(fd)"
            }
        }
    }

    private static func cText(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Closes the master's copy; connections are refused once every worker has closed its copy too.
    public func close() {
        Glibc.close(descriptor)
        if let ownedPath { unlink(ownedPath) }
    }
}
