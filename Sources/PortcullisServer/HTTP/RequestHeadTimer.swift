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
    /// Whether any request head arrived on this connection.
    private(set) var hasReceivedHead = false
    /// A stop was requested before the connection's first request arrived.
    private(set) var quiescePending = false

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
        hasReceivedHead = true
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

    /// The server is stopping. A connection that has not sent its first request yet — most
    /// likely accepted a moment ago — keeps the stop until that request arrives, so it is
    /// answered (with `Connection: close`) rather than cut; returns whether to pass it on now.
    mutating func quiesceRequested() -> Bool {
        guard hasReceivedHead else {
            quiescePending = true
            return false
        }
        return true
    }

    /// After the first head went on: a stop held back until now must be passed on.
    mutating func takePendingQuiesce() -> Bool {
        defer { quiescePending = false }
        return quiescePending
    }
}
