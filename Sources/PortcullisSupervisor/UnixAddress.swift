import Glibc

/// A `sockaddr_un` for a socket file's path, as `bind` and `connect` take it.
enum UnixAddress {
    /// The longest path a `sockaddr_un` holds, without its terminating zero.
    static let maximumPathBytes = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    /// Calls `body` with the address of `path` (cut at ``maximumPathBytes``) and its length.
    static func with<T>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.prefix(maximumPathBytes).enumerated() { raw[index] = byte }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }

    /// A connected stream socket to `path` (close-on-exec), or nil with `errno` set.
    static func connect(to path: String) -> Int32? {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        guard with(path, { Glibc.connect(fd, $0, $1) }) == 0 else {
            let error = errno
            Glibc.close(fd)
            errno = error
            return nil
        }
        return fd
    }
}
