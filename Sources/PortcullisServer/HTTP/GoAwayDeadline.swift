import NIOCore
import NIOHTTP2

/// Closes an HTTP/2 connection `server.graceful_timeout` after the server sent its first
/// GOAWAY. Hummingbird's connection manager closes an idle connection with GOAWAY and a PING
/// and waits for the PING's answer before it counts its own grace period, so a client that
/// never answers would keep the connection open for ever. Sits right after the HTTP/2 handler
/// and sees each frame the manager writes.
final class GoAwayDeadline: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(timeout: Duration) {
        self.timeout = TimeAmount(timeout)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if deadline == nil, case .goAway = unwrapOutboundIn(data).payload {
            let channel = context.channel
            deadline = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        }
        context.write(data, promise: promise)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }
}
