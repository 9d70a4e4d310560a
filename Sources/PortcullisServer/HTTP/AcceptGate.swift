import NIOCore
import PortcullisPlatform
import Synchronization

/// When this worker accepts connections. Its listeners' `autoRead` is off while it holds
/// `server.max_connections`, while it holds more than its share of the node's connections
/// (`server.balance_accepts`: ``ConnectionShares``), and for good once a graceful stop began;
/// the kernel then hands new connections to the other workers, or keeps them in the backlog.
/// A listener reads up to a few connections at once, so a count can pass its bound by that many.
final class AcceptGate: Sendable {
    /// This worker's line in the node's shares.
    struct Balance: Sendable {
        let shares: ConnectionShares
        let slot: Int
    }

    private struct State {
        var open = 0
        var full = false
        var overShare = false
        var stopped = false
        /// Whether the listeners' `autoRead` is off for ``full`` or ``overShare``.
        var paused = false
        var listeners: [any Channel] = []
    }

    /// The listeners whose `autoRead` is to follow a changed decision.
    private typealias Change = [any Channel]

    let limit: Int
    private let balance: Balance?
    private let state = Mutex(State())
    private let load: LoadCounter
    /// Fired when this worker pauses for its share, so its watch looks again within
    /// ``pausedRecheck`` rather than at its next ``refresh``.
    private let wakeup = Wakeup()

    /// How often a worker paused for its share looks whether it is back under.
    static let pausedRecheck = Duration.milliseconds(5)
    /// How often a worker writes its line while it accepts, well within ``ConnectionShares/freshness``.
    static let refresh = Duration.milliseconds(100)

    init(limit: Int, load: LoadCounter, balance: Balance?) {
        self.limit = limit
        self.load = load
        self.balance = balance
    }

    /// `listener` accepted `connection` (``AcceptObserver``).
    func opened(_ connection: any Channel, on listener: any Channel) {
        load.opened()
        let (change, overShare) = state.withLock { state in
            if !state.listeners.contains(where: { $0 === listener }) { state.listeners.append(listener) }
            state.open += 1
            return (update(&state), state.overShare)
        }
        apply(change)
        if change != nil, overShare { wakeup.fire() }
        connection.closeFuture.whenComplete { [self] _ in closed() }
    }

    private func closed() {
        load.closed()
        apply(state.withLock { state in
            state.open -= 1
            return update(&state)
        })
    }

    /// The server is stopping and turns `autoRead` off itself: a closing connection must not
    /// turn it back on, and the other workers stop counting this one.
    func stopAccepting() {
        state.withLock { state in
            state.stopped = true
            balance?.shares.publish(slot: balance?.slot ?? 0, connections: state.open, accepting: false)
        }
    }

    /// Writes this worker's line and looks again at its share, until the server stops: every
    /// ``refresh``, or every ``pausedRecheck`` while paused for its share.
    func watchShares() async {
        guard balance != nil else { return }
        while true {
            let (stopped, overShare, change) = state.withLock { state -> (Bool, Bool, Change?) in
                guard !state.stopped else { return (true, false, nil) }
                let change = update(&state)
                return (false, state.overShare, change)
            }
            if stopped || Task.isCancelled { return }
            apply(change)
            await wakeup.wait(upTo: overShare ? Self.pausedRecheck : Self.refresh)
        }
    }

    /// Publishes the count and decides; the listeners when the decision changed.
    private func update(_ state: inout State) -> Change? {
        if let balance, !state.stopped {
            state.overShare = balance.shares.overShare(slot: balance.slot, connections: state.open)
        }
        state.full = state.open >= limit
        let pause = state.full || state.overShare
        let changed = pause != state.paused
        state.paused = pause
        if let balance, !state.stopped {
            balance.shares.publish(slot: balance.slot, connections: state.open, accepting: true)
        }
        return changed ? state.listeners : nil
    }

    /// Sets each listener's `autoRead` on its own event loop to what the state says when that
    /// runs, not when it was decided: decisions made on other threads may arrive out of order,
    /// and the last one to run must leave the listener as the latest state wants it.
    private func apply(_ change: Change?) {
        for listener in change ?? [] {
            let follow: @Sendable () -> Void = { [self] in
                let accepting = state.withLock { !$0.paused && !$0.stopped }
                _ = listener.setOption(.autoRead, value: accepting)
            }
            if listener.eventLoop.inEventLoop { follow() } else { listener.eventLoop.execute(follow) }
        }
    }
}
