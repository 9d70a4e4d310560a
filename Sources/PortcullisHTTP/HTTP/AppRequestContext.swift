public import Hummingbird
public import W3CTraceContext
public import Logging
public import NIOCore

/// The per-request state every route and middleware shares: the request ID and where the
/// request really came from.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The ID echoed in `X-Request-ID`, error bodies and every log line of the request.
    public var requestID: String = ""
    /// The socket peer.
    public let peer: TrustedProxies.Peer
    /// The client and scheme after trusted proxies are believed; set by ``RequestIdentity``.
    public var origin: TrustedProxies.Origin
    /// This server's span of the request's W3C trace; set by ``RequestIdentity``. What the
    /// request calls gets `trace.traceParentHeaderValue`.
    public internal(set) var trace = RequestIdentity.noTrace
    /// The trace ID as 32 hex digits, as log lines, access lines and jobs carry it; set with `trace`.
    public internal(set) var traceID = ""
    /// Whether the connection to this server is TLS; set by the server that accepted it.
    public var viaTLS = false
    /// Set by the server when the request asks for a WebSocket upgrade; nil for plain HTTP.
    public var webSocket: WebSocketUpgrade?
    /// Fields a route adds to the request's access line.
    public let accessNotes = AccessNotes()

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        peer = TrustedProxies.Peer(source.channel.remoteAddress)
        origin = TrustedProxies.Origin(client: "unknown", scheme: "http")
    }

    /// The context of a request the server accepted on `channel`.
    public init(channel: any Channel, logger: Logger, viaTLS: Bool, webSocket: WebSocketUpgrade? = nil) {
        self.init(source: .init(channel: channel, logger: logger))
        self.viaTLS = viaTLS
        self.webSocket = webSocket
    }
}
