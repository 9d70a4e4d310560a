import NIOCore
import Synchronization

/// `server.max_connections`: a worker holding that many connections stops accepting (its
/// listeners' `autoRead` off) until one closes, so the kernel hands new connections to the
/// other workers, or keeps them in the backlog, instead of this worker taking on more than it
/// can hold. A graceful stop keeps accepting off for good. A listener reads up to a few
/// connections at once, so the count can pass the limit by that many.
final class ConnectionLimit: Sendable {
    private struct State {
        var open = 0
        var paused = false
        var stopped = false
        var listeners: [any Channel] = []
    }

    let limit: Int
    private let state = Mutex(State())
    private let load: LoadCounter

    init(limit: Int, load: LoadCounter) {
        self.limit = limit
        self.load = load
    }

    /// The server is stopping and turns `autoRead` off itself: a closing connection must not
    /// turn it back on.
    func stopAccepting() {
        state.withLock { $0.stopped = true }
    }

    /// `listener` accepted `connection` (``AcceptObserver``).
    func opened(_ connection: any Channel, on listener: any Channel) {
        load.opened()
        let pause = state.withLock { state in
            if !state.listeners.contains(where: { $0 === listener }) { state.listeners.append(listener) }
            state.open += 1
            guard !state.paused, state.open >= limit else { return [any Channel]() }
            state.paused = true
            return state.listeners
        }
        for listener in pause { _ = listener.setOption(.autoRead, value: false) }
        connection.closeFuture.whenComplete { [self] _ in closed() }
    }

    private func closed() {
        load.closed()
        let resume = state.withLock { state in
            state.open -= 1
            guard state.paused, state.open < limit else { return [any Channel]() }
            state.paused = false
            return state.stopped ? [] : state.listeners
        }
        for listener in resume { _ = listener.setOption(.autoRead, value: true) }
    }
}
