/// The pure state machine behind ``RequestHeadTimeoutHandler``: a client gets
/// `server.header_timeout` to deliver a whole request head, counted from the moment the
/// connection opens or the first byte of the next request arrives. Idle keep-alive time
/// between requests is Hummingbird's idle timeout, not this one.
struct RequestHeadTimer: Equatable {
    enum State: Equatable {
        /// Waiting for a head to complete; the timer runs.
        case awaitingHead
        /// Heads received and responses not yet finished.
        case inRequest(outstanding: Int)
        /// Between requests, nothing received yet.
        case idle
    }

    enum Action: Equatable {
        case startTimer
        case cancelTimer
        case close
        case none
    }

    private(set) var state: State = .idle
    /// A stop was requested while no request was in progress.
    private(set) var quiescePending = false
    /// A stop was requested: every further response says `Connection: close`, so the client
    /// does not send another request on a connection about to close.
    private(set) var isStopping = false

    /// - Parameter stopping: a graceful stop arrived before this timer took over the connection;
    ///   it is held until the first head, as one that arrived here would be.
    init(stopping: Bool = false) {
        isStopping = stopping
        quiescePending = stopping
    }

    mutating func connectionOpened() -> Action {
        guard state == .idle else { return .none }
        state = .awaitingHead
        return .startTimer
    }

    /// A read finished, whether or not it completed a head.
    mutating func bytesReceived() -> Action {
        guard state == .idle else { return .none }
        state = .awaitingHead
        return .startTimer
    }

    mutating func headReceived() -> Action {
        switch state {
        case .awaitingHead:
            state = .inRequest(outstanding: 1)
            return .cancelTimer
        case .inRequest(let outstanding):
            state = .inRequest(outstanding: outstanding + 1)
            return .none
        case .idle:
            state = .inRequest(outstanding: 1)
            return .none
        }
    }

    mutating func responseFinished() -> Action {
        guard case .inRequest(let outstanding) = state else { return .none }
        state = outstanding > 1 ? .inRequest(outstanding: outstanding - 1) : .idle
        return .none
    }

    mutating func timerFired() -> Action {
        state == .awaitingHead ? .close : .none
    }

    /// The server is stopping. A connection between requests — just accepted, or idle on
    /// keep-alive — keeps the stop until its next request arrives, so a request already on its
    /// way is answered (with `Connection: close`) rather than met by a closed socket. Returns
    /// whether to pass the stop on now. The header timeout, or ``quiesceGraceEnded()`` for an
    /// idle connection, closes one that sends nothing.
    mutating func quiesceRequested() -> Bool {
        isStopping = true
        guard case .inRequest = state else {
            quiescePending = true
            return false
        }
        return true
    }

    /// The grace period for an idle connection ended: pass a held stop on if nothing arrived.
    mutating func quiesceGraceEnded() -> Bool {
        guard quiescePending, state == .idle else { return false }
        quiescePending = false
        return true
    }

    /// After the first head went on: a stop held back until now must be passed on.
    mutating func takePendingQuiesce() -> Bool {
        defer { quiescePending = false }
        return quiescePending
    }
}
