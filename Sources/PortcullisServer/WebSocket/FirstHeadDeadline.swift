import NIOCore

/// `server.header_timeout` for a connection's first request head, while that request may
/// still turn the connection into a WebSocket. It sits before the HTTP decoder, passes bytes
/// through untouched, and is removed as soon as the first head is parsed; from then on
/// ``RequestHeadTimeoutHandler`` (plain HTTP) or the WebSocket takes over.
final class FirstHeadDeadline: ConnectionDeadline {
    /// A graceful stop arrived before the first head: the first response closes the connection.
    private(set) var stopRequested = false

    /// A stop is held until the first head, as ``RequestHeadTimeoutHandler`` holds it for a
    /// connection awaiting its head: the client may be sending the request already, and the
    /// header timeout closes one that sends nothing.
    override func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        stopRequested = true
    }
}
