import HummingbirdCore
import HummingbirdHTTP2
import Logging
import NIOCore
import NIOHTTP2
import NIOSSL
import NIOTLS

/// A TLS listener's connections: the handshake within `tls.handshake_timeout`, then ALPN picks
/// HTTP/2 (Hummingbird's channel, closed after `server.idle_timeout` without streams, cut
/// ``GoAwayDeadline`` after its GOAWAY) or
/// HTTP/1.1, which is the plain listeners' ``WebSocketUpgradeChannel`` over TLS: the same
/// header and body deadlines, the same answer to malformed requests, and `wss://` WebSockets.
struct SecureChannel: ServerChildChannel {
    typealias Negotiated = NIONegotiatedHTTPVersion<WebSocketUpgradeChannel.Value, HTTP2Channel.Value>

    struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<Negotiated>
        let channel: any Channel
    }

    let context: NIOSSLContext
    let handshakeTimeout: Duration
    /// How long an HTTP/2 connection may stay open once the server sent GOAWAY.
    let goAwayTimeout: Duration
    let http1: WebSocketUpgradeChannel
    let http2: HTTP2Channel

    init(tls: TLSConfiguration, handshakeTimeout: Duration, goAwayTimeout: Duration, http1: WebSocketUpgradeChannel, http2: HTTP2Channel) throws {
        var tls = tls
        tls.applicationProtocols = NIOHTTP2SupportedALPNProtocols
        context = try NIOSSLContext(configuration: tls)
        self.handshakeTimeout = handshakeTimeout
        self.goAwayTimeout = goAwayTimeout
        self.http1 = http1
        self.http2 = http2
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(NIOSSLServerHandler(context: context))
            try pipeline.addHandler(TLSHandshakeDeadline(timeout: handshakeTimeout))
            let negotiation = NIOTypedApplicationProtocolNegotiationHandler<Negotiated> { result in
                switch result {
                case .negotiated("h2"):
                    return http2.setup(channel: channel, logger: logger).flatMapThrowing { connection in
                        let pipeline = channel.pipeline.syncOperations
                        try pipeline.addHandler(GoAwayDeadline(timeout: goAwayTimeout), position: .after(try pipeline.handler(type: NIOHTTP2Handler.self)))
                        return .http2(connection)
                    }
                case .negotiated("http/1.1"), .fallback:
                    return http1.setup(channel: channel, logger: logger).map { .http1_1($0) }
                case .negotiated:
                    return channel.close().flatMapThrowing { throw NIOHTTP2Errors.invalidALPNToken() }
                }
            }
            try pipeline.addHandler(negotiation)
            return Value(negotiated: negotiation.protocolNegotiationResult, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.negotiated.get() {
            case .http1_1(let connection): await http1.handle(value: connection, logger: logger)
            case .http2(let connection): await http2.handle(value: connection, logger: logger)
            }
        } catch {
            logger.debug("TLS connection ended before it spoke HTTP", metadata: ["error": .string("\(error)")])
        }
    }
}
