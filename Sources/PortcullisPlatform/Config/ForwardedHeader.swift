/// `server.forwarded_header`: which one header a trusted proxy names the client in. Only one
/// is read, because a proxy sets its own and passes the other through from the client as it
/// came: reading both lets the client choose its own address.
public enum ForwardedHeader: String, Sendable, CaseIterable {
    /// `X-Forwarded-For` and `X-Forwarded-Proto`, as nginx, HAProxy and most load balancers set them.
    case xForwardedFor = "x-forwarded-for"
    /// RFC 7239 `Forwarded`.
    case forwarded
}
