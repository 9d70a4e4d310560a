import Glibc
import PortcullisPlatform

/// A listening socket the master owns and its workers inherit: bound here with plain POSIX
/// calls, close-on-exec, and kept at a descriptor of 100 or more so that placing the
/// inherited descriptors at 3, 4, … in a worker never collides with one.
public struct ListeningSocket: Sendable {
    public let address: ListenAddress
    public let descriptor: Int32
    /// The address as bound, with the real port when 0 was asked for.
    public let boundDescription: String

    public struct BindError: Error, CustomStringConvertible {
        public let description: String
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
        return try finish(fd, address: address)
    }

    private static func bindUnix(_ address: ListenAddress, path: String) throws(BindError) -> ListeningSocket {
        var info = stat()
        if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFSOCK { unlink(path) }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw failure(address, "socket") }
        var socketAddress = sockaddr_un()
        socketAddress.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &socketAddress.sun_path) { raw in
            for (index, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else {
            let error = failure(address, "bind")
            Glibc.close(fd)
            throw error
        }
        chmod(path, 0o660)
        return try finish(fd, address: address)
    }

    private static func finish(_ fd: Int32, address: ListenAddress) throws(BindError) -> ListeningSocket {
        guard listen(fd, 1024) == 0 else {
            let error = failure(address, "listen")
            Glibc.close(fd)
            throw error
        }
        let high = fcntl(fd, F_DUPFD_CLOEXEC, 100)
        Glibc.close(fd)
        guard high >= 0 else { throw failure(address, "fcntl") }
        return ListeningSocket(address: address, descriptor: high, boundDescription: describeBound(high, address: address))
    }

    private static func describeBound(_ fd: Int32, address: ListenAddress) -> String {
        guard case .tcp(let host, _) = address else { return address.description }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) == 0 }
        }
        guard ok else { return address.description }
        let family = storage.ss_family
        let port: UInt16 = withUnsafePointer(to: &storage) { pointer in
            if family == sa_family_t(AF_INET6) {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
        return ListenAddress.tcp(host: host, port: Int(port)).description
    }

    /// Closes the master's copy; connections are refused once every worker has closed its copy too.
    public func close() {
        Glibc.close(descriptor)
        if case .unix(let path) = address { unlink(path) }
    }
}
