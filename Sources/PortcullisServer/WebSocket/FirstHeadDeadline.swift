import NIOCore

/// `server.header_timeout` for a connection's first request head, while that request may
/// still turn the connection into a WebSocket. It sits before the HTTP decoder, passes bytes
/// through untouched, and is removed as soon as the first head is parsed; from then on
/// ``RequestHeadTimeoutHandler`` (plain HTTP) or the WebSocket takes over.
final class FirstHeadDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?
    /// A graceful stop arrived before the first head: the first response closes the connection.
    private(set) var stopRequested = false

    init(timeout: Duration) {
        self.timeout = .nanoseconds(Int64(timeout.seconds * 1e9))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    /// A stop is held until the first head, as ``RequestHeadTimeoutHandler`` holds it for a
    /// connection awaiting its head: the client may be sending the request already, and the
    /// header timeout closes one that sends nothing.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        stopRequested = true
    }

    private func start(_ context: ChannelHandlerContext) {
        guard deadline == nil else { return }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: timeout) { loopBound.value.close(promise: nil) }
    }
}
