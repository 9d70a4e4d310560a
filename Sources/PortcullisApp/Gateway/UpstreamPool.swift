import PortcullisPlatform
import Synchronization

/// The upstreams of one gateway route and what the gateway knows of them: requests outstanding,
/// consecutive failures, and until when one is out. An upstream that fails `max_fails` times in
/// a row (a connection failure or a 5xx) is out for `fail_timeout` (passive health), as is one
/// that fails its health check (active health) until it passes again.
final class UpstreamPool: Sendable {
    struct State: Sendable {
        var outstanding = 0
        var failures = 0
        var outUntil: ContinuousClock.Instant?
        var failingHealthCheck = false
    }

    let upstreams: [Upstream]
    /// The route's prefix, for the metrics.
    private let prefix: String
    private let balance: GatewayRoute.Balance
    private let maxFails: Int
    private let failTimeout: Duration
    private let states: Mutex<(next: Int, upstreams: [State])>

    init(route: GatewayRoute) {
        upstreams = route.upstreams
        prefix = route.prefix
        balance = route.balance
        maxFails = route.maxFails
        failTimeout = route.failTimeout
        states = Mutex((0, Array(repeating: State(), count: route.upstreams.count)))
    }

    /// An upstream to send to, not one of `excluded`, counted as outstanding until ``finished(_:failed:)``;
    /// nil when every one is out.
    func pick(excluding excluded: Set<Int> = [], now: ContinuousClock.Instant = .now) -> Int? {
        states.withLock { states in
            let healthy = states.upstreams.indices.filter { index in
                let state = states.upstreams[index]
                return !excluded.contains(index) && !state.failingHealthCheck && (state.outUntil.map { $0 <= now } ?? true)
            }
            guard !healthy.isEmpty else { return nil }
            let chosen: Int
            switch balance {
            case .roundRobin:
                chosen = healthy[states.next % healthy.count]
                states.next &+= 1
            case .leastOutstanding:
                let fewest = healthy.map { states.upstreams[$0].outstanding }.min() ?? 0
                let tied = healthy.filter { states.upstreams[$0].outstanding == fewest }
                chosen = tied[states.next % tied.count]
                states.next &+= 1
            }
            states.upstreams[chosen].outstanding += 1
            return chosen
        }
    }

    /// The request sent to upstream `index` ended; `failed` when it could not connect or answered 5xx.
    func finished(_ index: Int, failed: Bool, now: ContinuousClock.Instant = .now) {
        let ejected = states.withLock { states in
            states.upstreams[index].outstanding -= 1
            guard failed else {
                states.upstreams[index].failures = 0
                return false
            }
            states.upstreams[index].failures += 1
            guard states.upstreams[index].failures >= maxFails else { return false }
            states.upstreams[index].outUntil = now + failTimeout
            states.upstreams[index].failures = 0
            return true
        }
        if ejected { GatewayMetrics.ejections[prefix, upstreams[index].description, "passive"].increment() }
    }

    /// The outcome of upstream `index`'s health check.
    func checked(_ index: Int, healthy: Bool) {
        let ejected = states.withLock { states in
            defer { states.upstreams[index].failingHealthCheck = !healthy }
            return !healthy && !states.upstreams[index].failingHealthCheck
        }
        if ejected { GatewayMetrics.ejections[prefix, upstreams[index].description, "active"].increment() }
    }
}
