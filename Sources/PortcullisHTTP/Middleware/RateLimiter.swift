public import Hummingbird
import HTTPTypes
import Atomics
import Logging
public import PortcullisPlatform
import Synchronization

/// `limits` and the gateway routes' `rate_limit`, nginx `limit_req` semantics on a
/// ``SharedRateTable`` every worker of the node shares: a request over its rule's rate and burst
/// gets 429 `RateLimited` with `Retry-After`; with `delay`, one within the burst waits its turn.
/// Every limited response carries the IETF `RateLimit-Policy` and `RateLimit` headers. In
/// `limits.dry_run` nothing is refused: what would be is counted and logged.
public struct RateLimiter: Sendable {
    /// One rule as the table uses it.
    struct Policy: Sendable {
        /// The policy's name in the headers and metrics: `default`, or a gateway route's prefix.
        let name: String
        let rule: RateLimitRule
        /// Nanoseconds per request, and of burst.
        let interval: UInt64
        let tolerance: UInt64
        let header: String

        init(name: String, rule: RateLimitRule) {
            self.name = name
            self.rule = rule
            interval = UInt64(1_000_000_000 / rule.perSecond)
            tolerance = interval * UInt64(rule.burst)
            let window = Int((Double(rule.burst + 1) / rule.perSecond).rounded(.up))
            header = "\"\(name)\";q=\(rule.burst + 1);w=\(max(1, window))"
        }
    }

    /// What a check decided.
    public enum Outcome: Sendable {
        /// Go on, after `wait` (a delayed request), adding `headers` to the response.
        case admitted(wait: Duration, headers: HTTPFields)
        /// Answer 429 with `headers`.
        case refused(APIError, headers: HTTPFields)
    }

    /// The table's file; mapped by ``open()`` before the process serves.
    let path: String
    private let table = ManagedAtomicLazyReference<SharedRateTable>()
    let defaultPolicy: Policy?
    let routePolicies: [String: Policy]
    let dryRun: Bool
    /// Paths never limited: the health probes.
    let exempt: Set<String>
    /// The authenticated user's ID, for `key: user`; nil without a valid token.
    let user: @Sendable (Request) async -> String?
    let refusals: RefusalLog

    static let counted = MetricFamily.counter("portcullis_ratelimit_total", labels: ["policy", "outcome"])
    static let policy = HTTPField.Name("RateLimit-Policy")!
    static let state = HTTPField.Name("RateLimit")!

    /// nil when `gateway` has no limit at all.
    /// - Parameters:
    ///   - path: the shared table's file, in the state directory.
    ///   - exempt: paths never limited (the health probes, which the proxy and the orchestrator call).
    public init?(
        gateway: GatewayConfig, path: String, exempt: Set<String>, logger: Logger, user: @escaping @Sendable (Request) async -> String?
    ) {
        var routes: [String: Policy] = [:]
        for route in gateway.routes { if let rule = route.rateLimit { routes[route.prefix] = Policy(name: route.prefix, rule: rule) } }
        let fallback = gateway.defaultLimit.map { Policy(name: "default", rule: $0) }
        guard fallback != nil || !routes.isEmpty else { return nil }
        self.path = path
        self.exempt = exempt
        defaultPolicy = fallback
        routePolicies = routes
        dryRun = gateway.dryRun
        self.user = user
        refusals = RefusalLog(logger: logger, dryRun: gateway.dryRun)
    }

    /// Maps the shared table; before the process serves.
    @discardableResult
    public func open() throws -> SharedRateTable {
        if let table = table.load() { return table }
        return table.storeIfNilThenLoad(try SharedRateTable(path: path))
    }

    /// Counts `request` against its rule: the gateway route's (`route`, its prefix) or the
    /// default. A table that cannot be mapped limits nothing (the process did not start then).
    public func check(_ request: Request, context: AppRequestContext, route: String?) async -> Outcome {
        guard let policy = route.flatMap({ routePolicies[$0] }) ?? defaultPolicy, !exempt.contains(request.uri.path), let table = try? open() else {
            return .admitted(wait: .zero, headers: [:])
        }
        let key: UInt64
        switch policy.rule.key {
        case .client: key = table.key(policy.name, "c", context.origin.client)
        case .route: key = table.key(policy.name, "r")
        case .user:
            if let id = await user(request) { key = table.key(policy.name, "u", id) } else { key = table.key(policy.name, "c", context.origin.client) }
        }
        var headers = HTTPFields()
        headers[Self.policy] = policy.header
        switch table.admit(key: key, interval: policy.interval, tolerance: policy.tolerance) {
        case .admitted(let wait, let remaining):
            headers[Self.state] = "\"\(policy.name)\";r=\(remaining);t=\(Self.seconds(wait + policy.interval))"
            guard policy.rule.delay, wait > 0 else { return .admitted(wait: .zero, headers: headers) }
            Self.counted[policy.name, "delayed"].increment()
            return .admitted(wait: .nanoseconds(Int64(wait)), headers: headers)
        case .refused(let retryAfter):
            let seconds = max(1, Self.seconds(retryAfter))
            headers[Self.state] = "\"\(policy.name)\";r=0;t=\(seconds)"
            refusals.refused(policy: policy.name, client: context.origin.client)
            guard !dryRun else {
                Self.counted[policy.name, "would_refuse"].increment()
                return .admitted(wait: .zero, headers: headers)
            }
            Self.counted[policy.name, "refused"].increment()
            return .refused(.rateLimited(retryAfter: seconds), headers: headers)
        }
    }

    /// Whole seconds, rounded up.
    static func seconds(_ nanoseconds: UInt64) -> Int {
        Int((nanoseconds + 999_999_999) / 1_000_000_000)
    }
}

/// Logs refusals without flooding: at most one warning a second per worker, with how many
/// requests each policy refused (or, in dry run, would have) since the last one.
final class RefusalLog: Sendable {
    private let logger: Logger
    private let dryRun: Bool
    private let state = Mutex<(last: ContinuousClock.Instant?, counts: [String: Int], client: String)>((nil, [:], ""))

    init(logger: Logger, dryRun: Bool) {
        self.logger = logger
        self.dryRun = dryRun
    }

    func refused(policy: String, client: String) {
        let now = ContinuousClock.now
        let report: [String: Int]? = state.withLock { state in
            state.counts[policy, default: 0] += 1
            state.client = client
            if let last = state.last, now - last < .seconds(1) { return nil }
            state.last = now
            defer { state.counts = [:] }
            return state.counts
        }
        guard let report else { return }
        for (name, count) in report.sorted(by: { $0.key < $1.key }) {
            logger.warning(dryRun ? "rate limit exceeded (dry run: not refused)" : "rate limit exceeded; refusing", metadata: [
                "policy": .string(name), "requests": "\(count)", "client": .string(client),
            ])
        }
    }
}
