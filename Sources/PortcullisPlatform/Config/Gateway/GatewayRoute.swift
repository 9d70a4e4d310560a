/// One `gateway.routes` entry: requests whose path starts with `prefix` go to `upstreams`.
public struct GatewayRoute: Sendable, Hashable {
    /// Whether a valid bearer token is required.
    public enum Auth: String, Sendable, CaseIterable {
        case token
        case none
    }

    /// How a request picks among the upstreams.
    public enum Balance: String, Sendable, CaseIterable {
        case roundRobin = "round_robin"
        case leastOutstanding = "least_outstanding"
    }

    /// The three deadlines of a proxied request.
    public struct Timeouts: Sendable, Hashable {
        /// To open a connection to the upstream.
        public var connect: Duration = .seconds(2)
        /// From the request sent to the response head received.
        public var response: Duration = .seconds(30)
        /// The longest silence while a body streams, either way.
        public var idle: Duration = .seconds(60)

        public init(connect: Duration = .seconds(2), response: Duration = .seconds(30), idle: Duration = .seconds(60)) {
            self.connect = connect
            self.response = response
            self.idle = idle
        }
    }

    /// `GET health.path` every `health.interval`; an upstream that fails it is out until it answers 2xx again.
    public struct HealthCheck: Sendable, Hashable {
        public var path: String
        public var interval: Duration

        public init(path: String, interval: Duration) {
            self.path = path
            self.interval = interval
        }
    }

    /// Starts and ends with `/`: `/svc/` matches `/svc` and everything under `/svc/`.
    public var prefix: String
    public var upstreams: [Upstream]
    public var auth: Auth = .token
    /// Whether `/svc/a` reaches the upstream as `/a`.
    public var stripPrefix = false
    /// nil: `server.max_body_bytes`.
    public var maxBodyBytes: Int?
    public var timeouts = Timeouts()
    /// Other upstreams tried after a connection failure, for idempotent methods only.
    public var retries = 1
    public var balance = Balance.roundRobin
    /// Consecutive connection failures or 5xx answers after which an upstream is out for `failTimeout` (nginx's `max_fails`).
    public var maxFails = 3
    public var failTimeout: Duration = .seconds(10)
    public var health: HealthCheck?
    /// Whether WebSocket upgrades are proxied.
    public var webSocket = false
    /// nil: `limits.default`.
    public var rateLimit: RateLimitRule?
    /// PEM certificates that `https://` upstreams (and `wss://` relays) are verified against;
    /// nil: the system's CA store.
    public var tlsCAFile: String?

    public init(prefix: String, upstreams: [Upstream]) {
        self.prefix = prefix
        self.upstreams = upstreams
    }

    /// Whether `path` is under this route.
    public func matches(_ path: Substring) -> Bool {
        path.hasPrefix(prefix) || path.utf8.elementsEqual(prefix.utf8.dropLast())
    }
}

/// `gateway.routes` and `limits`: the parts of the configuration that only the file holds.
public struct GatewayConfig: Sendable, Hashable {
    public var routes: [GatewayRoute] = []
    /// `limits.default`: the limit of our own routes and of gateway routes without one; nil: none.
    public var defaultLimit: RateLimitRule?
    /// `limits.dry_run`: count and log what would be refused, refuse nothing.
    public var dryRun = false

    public init() {}

    /// The route `path` is under, if any.
    public func route(for path: Substring) -> GatewayRoute? {
        routes.first { $0.matches(path) }
    }
}
