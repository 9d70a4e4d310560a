import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose client does not finish sending a request head within
/// `server.header_timeout`, or the body that follows within `server.body_timeout`, so a slow
/// client cannot hold a connection slot for ever (however it trickles its bytes); and on a
/// graceful stop lets a connection between requests deliver the request it may already be
/// sending before it closes.
final class RequestHeadTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var timer: RequestHeadTimer
    private var scheduled: Scheduled<Void>?
    /// When ``scheduled`` wakes up.
    private var scheduledFor: NIODeadline?
    /// When the running timer ends; nil while it is stopped.
    private var deadline: NIODeadline?
    /// When the body of the request being read must have arrived; nil once it has.
    private var bodyDeadline: NIODeadline?
    /// A request head arrived and its end has not. The body deadline is set when a read ends
    /// with the body still missing: a request without one ends in the read that brought its
    /// head, and costs neither a clock read nor a wake-up.
    private var awaitingBody = false
    /// Where this connection's ``MalformedRequestHandler`` learns whether a response is under way.
    private let progress: ResponseProgress?
    private let timeout: TimeAmount
    private let bodyTimeout: TimeAmount
    private let logger: Logger

    /// - Parameters:
    ///   - stopping: a graceful stop reached the connection before this handler did
    ///     (``FirstHeadDeadline`` saw it): every response closes the connection.
    ///   - progress: kept up to date as responses leave; HTTP/1.1 connections have one.
    init(timeout: Duration, bodyTimeout: Duration, logger: Logger, stopping: Bool = false, progress: ResponseProgress? = nil) {
        timer = RequestHeadTimer(stopping: stopping)
        self.progress = progress
        self.timeout = TimeAmount(timeout)
        self.bodyTimeout = TimeAmount(bodyTimeout)
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { apply(timer.connectionOpened(), context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        scheduled?.cancel()
        scheduled = nil
        scheduledFor = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        apply(timer.connectionOpened(), context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            break
        case .end:
            awaitingBody = false
            bodyDeadline = nil
            context.fireChannelRead(data)
            return
        case .body:
            context.fireChannelRead(data)
            return
        }
        awaitingBody = true
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
        if awaitingBody, bodyDeadline == nil {
            bodyDeadline = .now() + bodyTimeout
            arm(context: context)
        }
        apply(timer.bytesReceived(), context: context)
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head):
            if head.status.code >= 200 { progress?.responding = true }
            guard timer.isStopping else {
                context.write(data, promise: promise)
                return
            }
            head.headerFields.closeConnection()
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            progress?.responding = false
            apply(timer.responseFinished(), context: context)
            context.write(data, promise: promise)
        }
    }

    private func apply(_ action: RequestHeadTimer.Action, context: ChannelHandlerContext) {
        switch action {
        case .startTimer:
            deadline = .now() + timeout
            arm(context: context)
        case .cancelTimer:
            // The scheduled task stays: keep-alive connections start and stop this timer on
            // every request, and one task that wakes up, finds no deadline or a later one and
            // sleeps again is cheaper than scheduling and cancelling a task per request.
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

    /// The earlier of the two deadlines, if either runs.
    private var nextDeadline: NIODeadline? {
        switch (deadline, bodyDeadline) {
        case let (head?, body?): min(head, body)
        case let (head, body): head ?? body
        }
    }

    /// Makes sure a wake-up comes no later than the earlier deadline: the task sleeping for a
    /// later one is replaced.
    private func arm(context: ChannelHandlerContext) {
        guard let next = nextDeadline else { return }
        if scheduled != nil, let wake = scheduledFor, wake <= next { return }
        scheduled?.cancel()
        schedule(context: context)
    }

    /// Wakes up at the earlier deadline: closes the connection if the body's is due, fires the
    /// head timer if it still runs and is due, or sleeps again until a later deadline.
    private func schedule(context: ChannelHandlerContext) {
        guard let next = nextDeadline else {
            scheduled = nil
            scheduledFor = nil
            return
        }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        scheduledFor = next
        scheduled = context.eventLoop.scheduleTask(deadline: next) {
            let (handler, context) = loopBound.value
            handler.scheduled = nil
            handler.scheduledFor = nil
            let now = NIODeadline.now()
            if let due = handler.bodyDeadline, due <= now {
                handler.logger.debug("closing a connection whose request body did not arrive in time", metadata: [
                    "client": .string(context.remoteAddress?.description ?? "unknown"),
                ])
                context.close(promise: nil)
                return
            }
            if let due = handler.deadline, due <= now {
                handler.deadline = nil
                handler.apply(handler.timer.timerFired(), context: context)
            }
            handler.schedule(context: context)
        }
    }
}
