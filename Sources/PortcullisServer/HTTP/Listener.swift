import PortcullisPlatform

/// Where a listening socket comes from: bound here, or (under the prefork master) inherited.
public enum Listener: Sendable, CustomStringConvertible {
    /// Bind and listen on an address.
    case bind(ListenAddress)

    public var description: String {
        switch self {
        case .bind(let address): address.description
        }
    }
}
