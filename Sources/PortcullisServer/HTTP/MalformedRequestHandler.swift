import HTTPTypes
import NIOCore
import NIOHTTP1
import PortcullisHTTP

/// Answers a request the HTTP/1.1 parser refuses — a header name with a space, a control
/// character in a value, `Content-Length` with `Transfer-Encoding`, two `Content-Length`s,
/// bytes that are not HTTP at all — with 400, or 431 for a header section over the parser's
/// limit: the JSON error body, `Connection: close`, written at once, one access line, and
/// the connection closed. It sits right after the request decoder, so it sees the error
/// before anything waits on the request; nothing after it sees the error, so no second
/// answer follows. A response already under way when the error comes is cut instead.
///
/// It handles inbound events only, so the responses' parts do not pass through it: whether
/// one is under way is ``ResponseProgress``, kept by ``RequestHeadTimeoutHandler``, which
/// looks at every part anyway (a handler in the outbound path cost each response three
/// dynamic casts and four calls).
final class MalformedRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let accessLog: AccessLog
    /// Whether a response's head went out and its end has not.
    let progress = ResponseProgress()
    private var answered = false

    init(accessLog: AccessLog) {
        self.accessLog = accessLog
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Once answered, the decoder's complaints about what else arrives are no news.
        guard !answered else { return }
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        guard !progress.responding else {
            context.close(promise: nil)
            return
        }
        answered = true
        let apiError: APIError = parserError == .headerOverflow
            ? .headerFieldsTooLarge
            : .malformedRequest("The request is not valid HTTP/1.1.")
        // Timed from the refusal: a request the parser refused was never handled, and timing it
        // from the last response would cost every request on the connection a clock read.
        let refused = ContinuousClock.now
        let answer = ErrorBody.unrouted(apiError)
        let head = HTTPResponseHead(
            version: .http1_1, status: HTTPResponseStatus(statusCode: apiError.status.code),
            headers: HTTPHeaders(answer.headers.map { ($0.name.rawName, $0.value) }))
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(answer.body))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            // Closing with the rest of the client's bytes unread would reset the connection
            // and could destroy the answer before the client reads it: stop writing, drop
            // what still comes, and close once the client does or the linger ends.
            channel.close(mode: .output, promise: nil)
            channel.eventLoop.scheduleTask(in: Self.linger) { channel.close(promise: nil) }
        }
        accessLog.recordUnparsed(
            requestID: answer.requestID, status: apiError.status.code, bytes: answer.body.readableBytes,
            client: TrustedProxies.Peer(context.remoteAddress).text, since: refused)
    }

    /// How long a refused client may keep sending before the connection is closed under it.
    static let linger = TimeAmount.seconds(2)

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if answered, case ChannelEvent.inputClosed = event {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}

/// Whether a final response's head went out on a connection and its end has not: set by
/// ``RequestHeadTimeoutHandler`` as the parts leave, read by ``MalformedRequestHandler``.
/// Both run on the connection's event loop.
final class ResponseProgress {
    var responding = false
}
