import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket
import PortcullisApp
import PortcullisHTTP
@_spi(WSInternal) import WSCore

/// HTTP/1.1 that can become a WebSocket: the first request of a connection may be a handshake,
/// which runs through the app like any request. A route that accepts it (``WebSocketUpgrade``)
/// gets the connection; any other answer — 403 for a foreign `Origin`, 503 when full, 404 —
/// is sent as it is and the connection closes. Other connections are plain HTTP/1.1, timed by
/// the same header and idle timeouts. A request the parser refuses is answered by
/// ``MalformedRequestHandler``. Plain listeners run it as it is; TLS listeners run it over TLS
/// when ALPN picks HTTP/1.1 (``SecureChannel``).
struct WebSocketUpgradeChannel: ServerChildChannel, HTTPChannelHandler {
    enum UpgradeResult: Sendable {
        case websocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>)
        case notUpgraded(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        case refused(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
    }

    struct Value: ServerChildChannelValue {
        let upgradeResult: EventLoopFuture<UpgradeResult>
        let handshake: WebSocketHandshake
        let channel: any Channel
    }

    let app: PortcullisApplication
    let responder: HTTPChannelHandler.Responder
    /// Whether the connection is TLS (``SecureChannel`` runs this channel after ALPN).
    let secure: Bool
    /// Hummingbird's keep-alive idle timeout, `server.idle_timeout`.
    let idleTimeout: Duration
    private let extensions: [any WebSocketExtensionBuilder]
    private let accessLog: AccessLog

    init(app: PortcullisApplication, responder: @escaping HTTPChannelHandler.Responder, secure: Bool) {
        self.app = app
        self.responder = responder
        self.secure = secure
        self.idleTimeout = app.config.server.idleTimeout
        self.extensions = [LimitedDeflateBuilder(maxMessageBytes: app.config.ws.maxMessageBytes)]
        self.accessLog = AccessLog(loggers: app.loggers)
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let handshake = WebSocketHandshake()
            let deadline = NIOLoopBound(FirstHeadDeadline(timeout: app.config.server.headerTimeout), eventLoop: channel.eventLoop)
            try channel.pipeline.syncOperations.addHandler(deadline.value)
            let malformed = NIOLoopBound(MalformedRequestHandler(accessLog: accessLog), eventLoop: channel.eventLoop)
            let upgrader = NIOTypedWebSocketServerUpgrader<UpgradeResult>(
                maxFrameSize: app.config.ws.maxMessageBytes,
                shouldUpgrade: { channel, head in
                    channel.pipeline.syncOperations.removeHandler(deadline.value, promise: nil)
                    let promise = channel.eventLoop.makePromise(of: HTTPHeaders?.self)
                    promise.completeWithTask { await decide(head, channel: channel, handshake: handshake) }
                    return promise.futureResult
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        channel.pipeline.syncOperations.removeHandler(malformed.value, promise: nil)
                        let frames = try channel.pipeline.syncOperations.handler(type: ByteToMessageHandler<WebSocketFrameDecoder>.self)
                        try channel.pipeline.syncOperations.addHandler(WebSocketCloseObserver(), position: .after(frames))
                        try channel.pipeline.syncOperations.addHandler(MaskedFramesOnly())
                        return UpgradeResult.websocket(try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true)))
                    }
                }
            )
            let upgrades = NIOTypedHTTPServerUpgradeConfiguration(upgraders: [upgrader]) { channel in
                channel.eventLoop.makeCompletedFuture {
                    channel.pipeline.syncOperations.removeHandler(deadline.value, promise: nil)
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: secure))
                    try pipeline.addHandler(RequestHeadTimeoutHandler(
                        timeout: app.config.server.headerTimeout, bodyTimeout: app.config.server.bodyTimeout, logger: logger,
                        stopping: deadline.value.stopRequested, progress: malformed.value.progress))
                    try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: idleTimeout, logger: logger))
                    let asyncChannel = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                        wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                    if case .refused = handshake.outcome { return UpgradeResult.refused(asyncChannel) }
                    return UpgradeResult.notUpgraded(asyncChannel)
                }
            }
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration(upgradeConfiguration: upgrades)
            configuration.enablePipelining = false
            configuration.enableErrorHandling = false
            configuration.enableResponseHeaderValidation = false
            let result = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
            let decoder = try channel.pipeline.syncOperations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try channel.pipeline.syncOperations.addHandler(malformed.value, position: .after(decoder))
            return Value(upgradeResult: result, handshake: handshake, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.upgradeResult.get() {
            case .notUpgraded(let http):
                await handleHTTP(asyncChannel: http, logger: logger)
            case .refused(let http):
                guard case .refused(let refusal) = value.handshake.outcome else { return }
                try await http.executeThenClose { _, outbound in
                    var head = refusal.head
                    head.headerFields.closeConnection()
                    head.headerFields[.contentLength] = String(refusal.body.readableBytes)
                    try await outbound.write(contentsOf: [.head(head), .body(refusal.body), .end(nil)])
                }
            case .websocket(let webSocket):
                guard case .accepted(let accepted) = value.handshake.outcome else { return }
                await run(accepted, on: webSocket)
            }
        } catch {
            logger.debug("connection ended", metadata: ["error": .string("\(error)")])
        }
    }

    /// Runs the app on the handshake: the route's `101` upgrades (with the negotiated
    /// extensions' headers and the app's own), anything else is remembered as the refusal.
    private func decide(_ head: HTTPRequestHead, channel: any Channel, handshake: WebSocketHandshake) async -> HTTPHeaders? {
        let upgrade = WebSocketUpgrade()
        var response: Response
        do {
            let request = Request(head: try HTTPRequest(head, secure: secure, splitCookie: false), body: .init(buffer: ByteBuffer()))
            let context = AppRequestContext(channel: channel, logger: app.logger, viaTLS: secure, webSocket: upgrade)
            response = try await app.responder.respond(to: request, context: context)
            if response.status == .switchingProtocols, let accepted = upgrade.accepted {
                let (negotiated, extensions) = try self.extensions.serverExtensionNegotiation(requestHeaders: request.headers)
                handshake.outcome = .accepted(.init(session: accepted.session, logger: accepted.logger, extensions: extensions))
                var fields = response.headers
                fields.append(contentsOf: negotiated)
                return HTTPHeaders(fields)
            }
        } catch {
            response = ErrorBody.unroutedResponse(.malformedRequest("The WebSocket handshake is not a valid request."))
        }
        let body = CollectingBodyWriter()
        try? await response.body.write(body)
        handshake.outcome = .refused(.init(head: response.head, body: body.collected.buffer))
        return nil
    }

    /// Runs an accepted session until its connection closes. It runs outside the service
    /// group's graceful-shutdown scope, so the WebSocket library does not close it with 1000
    /// on a stop: the server closes every session with 1001 when it closes its listeners.
    /// Once the session's handler returns, the connection is closed within the close
    /// handshake's timeout whatever the peer does: the library's close frame waits behind
    /// whatever is queued, and a client that stopped reading (a zero TCP window) would
    /// otherwise hold the connection for ever.
    private func run(_ accepted: WebSocketHandshake.Accepted, on webSocket: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>) async {
        let configuration = WebSocketHandler.Configuration(
            extensions: accepted.extensions,
            autoPing: .enabled(timePeriod: app.config.ws.pingInterval),
            closeTimeout: WebSocketUpgrade.closeHandshakeTimeout,
            validateUTF8: true,
            maxFrameSize: app.config.ws.maxMessageBytes
        )
        let context = WebSocketSessionContext(logger: accepted.logger, channel: webSocket.channel)
        let channel = webSocket.channel
        let handler = accepted.session
        let session = Task.detached {
            do {
                _ = try await WebSocketHandler.handle(
                    type: .server, configuration: configuration, asyncChannel: webSocket, context: context
                ) { inbound, outbound, context in
                    defer {
                        channel.eventLoop.scheduleTask(in: TimeAmount(WebSocketUpgrade.closeHandshakeTimeout)) { channel.close(promise: nil) }
                    }
                    try await handler(inbound, outbound, context)
                }
            } catch {
                context.logger.debug("WebSocket ended", metadata: ["error": .string("\(error)")])
            }
        }
        await withTaskCancellationHandler { await session.value } onCancel: { session.cancel() }
    }
}
