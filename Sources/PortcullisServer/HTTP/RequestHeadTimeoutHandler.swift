import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose client does not finish sending a request head within
/// `server.header_timeout`, so a slow client cannot hold a connection slot for ever; and on a
/// graceful stop lets a connection between requests deliver the request it may already be
/// sending before it closes.
final class RequestHeadTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var timer: RequestHeadTimer
    private var scheduled: Scheduled<Void>?
    /// When the running timer ends; nil while it is stopped.
    private var deadline: NIODeadline?
    private let timeout: TimeAmount
    private let logger: Logger

    /// - Parameter stopping: a graceful stop reached the connection before this handler did
    ///   (``FirstHeadDeadline`` saw it): every response closes the connection.
    init(timeout: Duration, logger: Logger, stopping: Bool = false) {
        timer = RequestHeadTimer(stopping: stopping)
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
        guard event is ChannelShouldQuiesceEvent, !timer.quiesceRequested() else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        guard timer.state == .idle else { return }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: Self.idleGrace) {
            let (handler, context) = loopBound.value
            if handler.timer.quiesceGraceEnded() { context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent()) }
        }
    }

    /// How long an idle keep-alive connection may still send a request once a stop began.
    static let idleGrace: TimeAmount = .milliseconds(500)

    func channelReadComplete(context: ChannelHandlerContext) {
        apply(timer.bytesReceived(), context: context)
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where timer.isStopping:
            head.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end:
            apply(timer.responseFinished(), context: context)
            context.write(data, promise: promise)
        default:
            context.write(data, promise: promise)
        }
    }

    private func apply(_ action: RequestHeadTimer.Action, context: ChannelHandlerContext) {
        switch action {
        case .startTimer:
            deadline = .now() + timeout
            if scheduled == nil { schedule(context: context) }
        case .cancelTimer:
            // The scheduled task stays: keep-alive connections start and stop this timer on
            // every request, and a task per request cost more than one that wakes up, finds
            // no deadline or a later one, and goes back to sleep.
            deadline = nil
        case .close:
            logger.debug("closing a connection that did not send a request head in time", metadata: [
                "client": .string(context.remoteAddress?.description ?? "unknown"),
            ])
            context.close(promise: nil)
        case .none:
            break
        }
    }

    /// Wakes up at the deadline: fires the timer if it still runs and is due, or sleeps again
    /// until a later deadline.
    private func schedule(context: ChannelHandlerContext) {
        guard let deadline else { return }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        scheduled = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = loopBound.value
            handler.scheduled = nil
            guard let due = handler.deadline else { return }
            if due <= .now() {
                handler.deadline = nil
                handler.apply(handler.timer.timerFired(), context: context)
            } else {
                handler.schedule(context: context)
            }
        }
    }
}
