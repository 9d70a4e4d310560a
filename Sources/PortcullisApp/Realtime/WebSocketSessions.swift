import HummingbirdWebSocket
import NIOWebSocket
import Synchronization

/// An open WebSocket connection that its process can close: a session of our own or a relayed one.
protocol ClosableSession: AnyObject, Sendable {
    /// Starts the close handshake with `code`; the connection is cut if it does not finish in time.
    func close(_ code: WebSocketErrorCode, reason: String)
}

/// The WebSocket connections of one process: at most `ws.max_connections` of them, each
/// holding a ``Seat`` from its handshake to its close, and every open one closed with 1001
/// when the process stops.
public final class WebSocketSessions: Sendable {
    /// A connection's place under the limit, given back when the last reference to it goes —
    /// when its session ends, or when the handshake that took it never completes.
    final class Seat: Sendable {
        private let sessions: WebSocketSessions

        fileprivate init(_ sessions: WebSocketSessions) { self.sessions = sessions }

        deinit { sessions.state.withLock { $0.seats -= 1 } }
    }

    private struct State {
        var seats = 0
        var open: [ObjectIdentifier: any ClosableSession] = [:]
        var stopping = false
    }

    /// `ws.max_connections`.
    public let limit: Int
    private let state = Mutex(State())

    public init(limit: Int) { self.limit = limit }

    /// A seat for a new connection; nil when the process is full or stopping.
    func takeSeat() -> Seat? {
        let taken = state.withLock { state in
            guard !state.stopping, state.seats < limit else { return false }
            state.seats += 1
            return true
        }
        return taken ? Seat(self) : nil
    }

    /// Runs `body` with `peer` counted as open; a peer that opens while the process stops is
    /// closed with 1001 at once.
    func whileOpen(_ peer: some ClosableSession, _ body: () async throws -> Void) async throws {
        let stopping = state.withLock { state in
            state.open[ObjectIdentifier(peer)] = peer
            return state.stopping
        }
        if stopping { peer.close(.goingAway, reason: Self.goingAwayReason) }
        defer { _ = state.withLock { $0.open.removeValue(forKey: ObjectIdentifier(peer)) } }
        try await body()
    }

    /// Refuses new connections and closes every open one with 1001 "Server shutting down"; the
    /// server calls it when its graceful stop closes the listeners.
    public func closeAll() {
        let open = state.withLock { state in
            state.stopping = true
            return Array(state.open.values)
        }
        for peer in open { peer.close(.goingAway, reason: Self.goingAwayReason) }
    }

    static let goingAwayReason = "Server shutting down"
}
