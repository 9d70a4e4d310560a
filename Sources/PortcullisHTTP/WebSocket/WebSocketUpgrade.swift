public import HummingbirdWebSocket
public import Logging
public import NIOCore
import Synchronization

/// A WebSocket handshake in progress. The server puts one in the context of a request that asks
/// to upgrade; a route that accepts the handshake leaves the session to run on the new
/// connection here and answers `101`. Any other answer is sent as the refusal.
public final class WebSocketUpgrade: Sendable {
    /// What runs on the upgraded connection, until it closes.
    public typealias Session = @Sendable (WebSocketInboundStream, WebSocketOutboundWriter, WebSocketSessionContext) async throws -> Void

    /// How long a close frame may wait for the peer's before the connection is cut.
    public static let closeHandshakeTimeout = Duration.seconds(5)

    private let state = Mutex<(session: Session, logger: Logger)?>(nil)

    public init() {}

    /// Accepts the handshake: `session` runs once the `101` is sent, logging with `logger`
    /// (the request's, its request ID included).
    public func accept(logger: Logger, _ session: @escaping Session) {
        state.withLock { $0 = (session, logger) }
    }

    /// The session a route accepted, if one did.
    public var accepted: (session: Session, logger: Logger)? { state.withLock { $0 } }
}

/// What a WebSocket session knows about its connection.
public struct WebSocketSessionContext: WebSocketContext {
    /// The logger of the handshake request, its request ID included.
    public let logger: Logger
    /// The connection, to close it when the peer does not take a close frame.
    public let channel: any Channel

    public init(logger: Logger, channel: any Channel) {
        self.logger = logger
        self.channel = channel
    }
}
