import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose client does not finish sending a request head within
/// `server.header_timeout`, so a slow client cannot hold a connection slot for ever; and on a
/// graceful stop lets a just-accepted connection deliver its first request before it closes.
final class RequestHeadTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var timer = RequestHeadTimer()
    private var scheduled: Scheduled<Void>?
    private let timeout: TimeAmount
    private let logger: Logger

    init(timeout: Duration, logger: Logger) {
        let (seconds, attoseconds) = timeout.components
        self.timeout = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { apply(timer.connectionOpened(), context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        scheduled?.cancel()
        scheduled = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        apply(timer.connectionOpened(), context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        apply(timer.headReceived(), context: context)
        context.fireChannelRead(data)
        if timer.takePendingQuiesce() { context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent()) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent, !timer.quiesceRequested() { return }
        context.fireUserInboundEventTriggered(event)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        apply(timer.bytesReceived(), context: context)
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { apply(timer.responseFinished(), context: context) }
        context.write(data, promise: promise)
    }

    private func apply(_ action: RequestHeadTimer.Action, context: ChannelHandlerContext) {
        switch action {
        case .startTimer:
            scheduled?.cancel()
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            scheduled = context.eventLoop.scheduleTask(in: timeout) {
                let (handler, context) = loopBound.value
                handler.scheduled = nil
                handler.apply(handler.timer.timerFired(), context: context)
            }
        case .cancelTimer:
            scheduled?.cancel()
            scheduled = nil
        case .close:
            logger.debug("closing a connection that did not send a request head in time", metadata: [
                "client": .string(context.remoteAddress?.description ?? "unknown"),
            ])
            context.close(promise: nil)
        case .none:
            break
        }
    }
}
