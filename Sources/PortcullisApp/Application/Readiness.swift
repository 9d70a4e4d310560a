import Synchronization

/// What `/readyz` reports: whether the process is draining, and the result of each readiness check.
public final class Readiness: Sendable {
    /// One dependency check: nil when healthy, else a short reason.
    public struct Check: Sendable {
        public let name: String
        public let probe: @Sendable () async -> String?

        public init(name: String, probe: @escaping @Sendable () async -> String?) {
            self.name = name
            self.probe = probe
        }
    }

    /// The outcome of one evaluation.
    public struct Report: Sendable, Equatable {
        /// `ready`, `draining` or `unavailable`.
        public let status: String
        /// Each check's result: `ok`, `draining`, or the reason it failed.
        public let checks: [String: String]
        public var isReady: Bool { status == "ready" }
    }

    private let draining = Atomic<Bool>(false)
    private let drainStart = Mutex<ContinuousClock.Instant?>(nil)
    private let checks = Mutex<[Check]>([])

    init() {}

    /// Adds a check; done while the application is built.
    func add(_ check: Check) {
        checks.withLock { $0.append(check) }
    }

    /// From now on `/readyz` answers 503 `draining`; called first thing on a graceful stop.
    public func beginDraining() {
        drainStart.withLock { $0 = $0 ?? .now }
        draining.store(true, ordering: .releasing)
    }

    /// When the graceful stop began, so work drained after the server shares its budget; nil while serving.
    public var drainingSince: ContinuousClock.Instant? { drainStart.withLock { $0 } }

    public var isDraining: Bool { draining.load(ordering: .acquiring) }

    public func evaluate() async -> Report {
        var results = ["serving": isDraining ? "draining" : "ok"]
        var healthy = true
        for check in checks.withLock({ $0 }) {
            let failure = await check.probe()
            results[check.name] = failure ?? "ok"
            if failure != nil { healthy = false }
        }
        let status = isDraining ? "draining" : (healthy ? "ready" : "unavailable")
        return Report(status: status, checks: results)
    }
}
