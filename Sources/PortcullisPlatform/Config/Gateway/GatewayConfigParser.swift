import Yams

/// Reads `gateway.routes` and `limits` from the configuration file's YAML, reporting every
/// problem at once with its key (`gateway.routes[1].upstreams[0]`): a bad URL, an unknown
/// field, a prefix that overlaps another route's or shadows one of Portcullis's own routes.
struct GatewayConfigParser {
    /// The first path segments of Portcullis's own routes (``OwnRoutes``), which no gateway prefix may take.
    let reserved: Set<String>
    private(set) var problems: [ConfigProblem] = []

    init(reserved: Set<String> = OwnRoutes.firstSegments) {
        self.reserved = reserved
    }

    /// The keys this parser reads whole, so the file's key walk stops there.
    static let structuredKeys: Set<String> = ["gateway.routes", "limits.default"]

    mutating func parse(root: Node.Mapping) -> GatewayConfig {
        var config = GatewayConfig()
        if let gateway = root["gateway"] {
            if let mapping = gateway.mapping {
                for (key, value) in mapping {
                    switch key.string {
                    case "routes": config.routes = routes(value)
                    default: problem("gateway.\(key.string ?? "?")", "unknown key (a typo?)")
                    }
                }
            } else if gateway.null == nil {
                problem("gateway", "must be a mapping with routes")
            }
        }
        if let limits = root["limits"] {
            if let mapping = limits.mapping {
                for (key, value) in mapping {
                    switch key.string {
                    case "default": config.defaultLimit = rateLimit(value, key: "limits.default")
                    case "dry_run": config.dryRun = bool(value, key: "limits.dry_run") ?? false
                    default: problem("limits.\(key.string ?? "?")", "unknown key (a typo?)")
                    }
                }
            } else if limits.null == nil {
                problem("limits", "must be a mapping")
            }
        }
        return config
    }

    private mutating func routes(_ node: Node) -> [GatewayRoute] {
        guard let sequence = node.sequence else {
            if node.null == nil { problem("gateway.routes", "must be a list of routes") }
            return []
        }
        var routes: [GatewayRoute] = []
        for (index, item) in sequence.enumerated() {
            if let route = route(item, key: "gateway.routes[\(index)]") { routes.append(route) }
        }
        for (index, route) in routes.enumerated() {
            for other in routes[..<index] where route.prefix.hasPrefix(other.prefix) || other.prefix.hasPrefix(route.prefix) {
                problem("gateway.routes", "\(route.prefix) overlaps \(other.prefix): a path must match one route only")
            }
        }
        return routes
    }

    private mutating func route(_ node: Node, key: String) -> GatewayRoute? {
        guard let mapping = node.mapping else {
            problem(key, "must be a mapping with prefix and upstreams")
            return nil
        }
        let fields = Dictionary(mapping.map { ($0.key.string ?? "?", $0.value) }) { first, _ in first }
        let known: Set = [
            "prefix", "upstreams", "auth", "strip_prefix", "max_body_bytes", "timeouts", "retries", "balance", "max_fails", "fail_timeout",
            "health", "websocket", "rate_limit", "tls_ca_file",
        ]
        for name in fields.keys.sorted() where !known.contains(name) { problem("\(key).\(name)", "unknown key (a typo?)") }
        let prefix = prefix(fields["prefix"], key: "\(key).prefix")
        var upstreams: [Upstream] = []
        if let list = fields["upstreams"]?.sequence, !list.isEmpty {
            for (index, item) in list.enumerated() {
                switch Upstream.parse(item.string ?? "") {
                case .success(let upstream): upstreams.append(upstream)
                case .failure(let error): problem("\(key).upstreams[\(index)]", error.message)
                }
            }
        } else {
            problem("\(key).upstreams", "must be a list of at least one upstream URL")
        }
        guard let prefix, !upstreams.isEmpty else { return nil }
        var route = GatewayRoute(prefix: prefix, upstreams: upstreams)
        if let node = fields["auth"] { route.auth = choice(node, key: "\(key).auth") ?? route.auth }
        if let node = fields["strip_prefix"] { route.stripPrefix = bool(node, key: "\(key).strip_prefix") ?? false }
        if let node = fields["max_body_bytes"] { route.maxBodyBytes = integer(node, key: "\(key).max_body_bytes", 0...1 << 40) }
        if let node = fields["retries"] { route.retries = integer(node, key: "\(key).retries", 0...10) ?? route.retries }
        if let node = fields["balance"] { route.balance = choice(node, key: "\(key).balance") ?? route.balance }
        if let node = fields["max_fails"] { route.maxFails = integer(node, key: "\(key).max_fails", 1...1000) ?? route.maxFails }
        if let node = fields["fail_timeout"] { route.failTimeout = seconds(node, key: "\(key).fail_timeout") ?? route.failTimeout }
        if let node = fields["websocket"] { route.webSocket = bool(node, key: "\(key).websocket") ?? false }
        if route.webSocket, upstreams.contains(where: { if case .unix = $0.address { true } else { false } }) {
            problem("\(key).websocket", "WebSocket upgrades are relayed to http:// and https:// upstreams only, not to a unix socket")
        }
        if let node = fields["timeouts"] { route.timeouts = timeouts(node, key: "\(key).timeouts") }
        if let node = fields["health"] { route.health = health(node, key: "\(key).health") }
        if let node = fields["rate_limit"] { route.rateLimit = rateLimit(node, key: "\(key).rate_limit") }
        if let node = fields["tls_ca_file"] { route.tlsCAFile = caFile(node, key: "\(key).tls_ca_file") }
        return route
    }

    private mutating func prefix(_ node: Node?, key: String) -> String? {
        guard let text = node?.string, text.hasPrefix("/"), text.hasSuffix("/"), text.count > 1,
            text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f && $0 != 0x3f && $0 != 0x23 && $0 != 0x25 })
        else {
            problem(key, "must be a path that starts and ends with /, such as /svc/ (no query, fragment or %)")
            return nil
        }
        let first = String(text.dropFirst().prefix { $0 != "/" })
        guard !reserved.contains(first) else {
            problem(key, "\(text) shadows Portcullis's own /\(first) routes")
            return nil
        }
        return text
    }

    private mutating func timeouts(_ node: Node, key: String) -> GatewayRoute.Timeouts {
        var timeouts = GatewayRoute.Timeouts()
        guard let mapping = node.mapping else {
            problem(key, "must be a mapping of connect, response and idle seconds")
            return timeouts
        }
        for (name, value) in mapping {
            let field = "\(key).\(name.string ?? "?")"
            switch name.string {
            case "connect": timeouts.connect = seconds(value, key: field) ?? timeouts.connect
            case "response": timeouts.response = seconds(value, key: field) ?? timeouts.response
            case "idle": timeouts.idle = seconds(value, key: field) ?? timeouts.idle
            default: problem(field, "unknown key (a typo?)")
            }
        }
        return timeouts
    }

    private mutating func health(_ node: Node, key: String) -> GatewayRoute.HealthCheck? {
        guard let mapping = node.mapping, let path = mapping["path"]?.string, path.hasPrefix("/") else {
            problem(key, "must be a mapping with path (starting with /) and interval (seconds)")
            return nil
        }
        for name in mapping.keys.compactMap(\.string) where name != "path" && name != "interval" {
            problem("\(key).\(name)", "unknown key (a typo?)")
        }
        let interval = mapping["interval"].flatMap { seconds($0, key: "\(key).interval") } ?? .seconds(5)
        return GatewayRoute.HealthCheck(path: path, interval: interval)
    }

    private mutating func rateLimit(_ node: Node, key: String) -> RateLimitRule? {
        guard let mapping = node.mapping else {
            problem(key, "must be a mapping such as {rate: 10/s, burst: 20, key: client}")
            return nil
        }
        for name in mapping.keys.compactMap(\.string) where !["rate", "burst", "key", "delay"].contains(name) {
            problem("\(key).\(name)", "unknown key (a typo?)")
        }
        guard let text = mapping["rate"]?.string, let perSecond = RateLimitRule.parseRate(text) else {
            problem("\(key).rate", "must be N/s or N/min, N from 1 to 1000000")
            return nil
        }
        let burst = mapping["burst"].map { integer($0, key: "\(key).burst", 0...1_000_000) } ?? 0
        let limitKey: RateLimitRule.Key? = mapping["key"].map { choice($0, key: "\(key).key") } ?? .client
        let delay = mapping["delay"].map { bool($0, key: "\(key).delay") } ?? false
        guard let burst, let limitKey, let delay else { return nil }
        return RateLimitRule(perSecond: perSecond, burst: burst, key: limitKey, delay: delay, rateText: text)
    }

    private mutating func choice<T: RawRepresentable & CaseIterable>(_ node: Node, key: String) -> T? where T.RawValue == String {
        if let text = node.string, let value = T(rawValue: text) { return value }
        problem(key, "must be one of " + T.allCases.map(\.rawValue).joined(separator: ", "))
        return nil
    }

    private mutating func bool(_ node: Node, key: String) -> Bool? {
        if let value = node.bool { return value }
        problem(key, "must be true or false")
        return nil
    }

    private mutating func integer(_ node: Node, key: String, _ range: ClosedRange<Int>) -> Int? {
        if let value = node.int, range.contains(value) { return value }
        problem(key, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        return nil
    }

    private mutating func seconds(_ node: Node, key: String) -> Duration? {
        if let value = node.float, value > 0, value <= 86_400 { return .milliseconds(Int64(value * 1000)) }
        problem(key, "must be seconds, more than 0 and at most 86400")
        return nil
    }

    private mutating func caFile(_ node: Node, key: String) -> String? {
        guard let path = node.string, path.hasPrefix("/") else {
            problem(key, "must be the absolute path of a PEM file of CA certificates")
            return nil
        }
        if let why = TLSFiles.caBundleProblem(path) { problem(key, why) }
        return path
    }

    private mutating func problem(_ key: String, _ message: String) {
        problems.append(ConfigProblem(.error, key: key, layer: .file, message))
    }
}
