/// One `server.trusted_proxies` entry: an address range, or `unix` for peers on a unix socket.
public enum TrustedProxyEntry: Sendable, Hashable {
    case range(CIDR)
    case unixSocket

    public init?(_ text: String) {
        if text == "unix" {
            self = .unixSocket
        } else if let range = CIDR(text) {
            self = .range(range)
        } else {
            return nil
        }
    }
}
