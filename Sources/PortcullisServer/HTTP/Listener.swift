import PortcullisPlatform

/// Where a listening socket comes from — bound here, or inherited from the prefork master —
/// and whether it speaks TLS.
public struct Listener: Sendable, CustomStringConvertible {
    public enum Source: Sendable {
        /// Bind and listen on an address.
        case bind(ListenAddress)
        /// Serve on a socket the master already listens on, passed as descriptor `fd`.
        case inherited(fd: Int32, address: String)
    }

    public let source: Source
    /// TLS with HTTP/2 and HTTP/1.1 offered by ALPN; plain HTTP/1.1 otherwise.
    public let tls: Bool

    public init(_ source: Source, tls: Bool = false) {
        self.source = source
        self.tls = tls
    }

    public static func bind(_ address: ListenAddress) -> Listener { Listener(.bind(address)) }

    /// The listening sockets a worker inherits from its master, at the descriptors the
    /// invocation names.
    public static func inherited(_ invocation: WorkerInvocation) -> [Listener] {
        invocation.listeners.enumerated().map { offset, socket in
            Listener(.inherited(fd: WorkerInvocation.descriptor(ofListener: offset), address: socket.address), tls: socket.tls)
        }
    }

    public var description: String {
        let address = switch source {
        case .bind(let address): address.description
        case .inherited(_, let address): address
        }
        return tls ? "https://\(address)" : address
    }
}
