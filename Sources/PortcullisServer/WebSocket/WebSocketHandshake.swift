import HTTPTypes
import Logging
import NIOCore
import PortcullisHTTP
import Synchronization
import WSCore

/// What the app decided about one connection's WebSocket handshake, handed from the upgrade
/// check to whoever then runs the connection: the session and extensions to run, or the
/// response that refused it.
final class WebSocketHandshake: Sendable {
    struct Accepted: Sendable {
        let session: WebSocketUpgrade.Session
        let logger: Logger
        let extensions: [any WebSocketExtension]
    }

    struct Refused: Sendable {
        let head: HTTPResponse
        let body: ByteBuffer
    }

    enum Outcome: Sendable {
        case undecided
        case accepted(Accepted)
        case refused(Refused)
    }

    private let state = Mutex(Outcome.undecided)

    var outcome: Outcome {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}
