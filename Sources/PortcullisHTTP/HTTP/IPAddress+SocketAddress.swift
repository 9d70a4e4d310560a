import NIOCore
import PortcullisPlatform

extension IPAddress {
    /// The address of an accepted connection, read from the socket address itself: what
    /// every request's context needs, without printing and parsing it again.
    init?(_ address: SocketAddress) {
        switch address {
        case .v4(let v4): self.init(v4.address.sin_addr)
        case .v6(let v6): self.init(v6.address.sin6_addr)
        case .unixDomainSocket: return nil
        }
    }
}
