import PortcullisPlatform

/// Where a listening socket comes from: bound here, or inherited from the prefork master.
public enum Listener: Sendable, CustomStringConvertible {
    /// Bind and listen on an address.
    case bind(ListenAddress)
    /// Serve on a socket the master already listens on, passed as descriptor `fd`.
    case inherited(fd: Int32, address: String)

    public var description: String {
        switch self {
        case .bind(let address): address.description
        case .inherited(_, let address): address
        }
    }
}
