/// One rate limit, with nginx `limit_req` semantics: requests arrive at most at `rate` per
/// second, with up to `burst` more admitted at once (each refused past that with 429); with
/// `delay`, requests within the burst wait their turn instead of passing at once.
public struct RateLimitRule: Sendable, Hashable {
    /// What one bucket counts.
    public enum Key: String, Sendable, CaseIterable {
        /// The client address, through `server.trusted_proxies`.
        case client
        /// The authenticated user (the bearer token's), else the client address.
        case user
        /// The route: every client together.
        case route
    }

    /// Requests per second (a rate written per minute is divided by 60).
    public let perSecond: Double
    public let burst: Int
    public let key: Key
    public let delay: Bool
    /// As written: `10/s` or `600/min`, for the `RateLimit-Policy` header and the logs.
    public let rateText: String

    public init(perSecond: Double, burst: Int, key: Key, delay: Bool, rateText: String) {
        self.perSecond = perSecond
        self.burst = burst
        self.key = key
        self.delay = delay
        self.rateText = rateText
    }

    /// `N/s` or `N/min`, N from 1 to 1 000 000; the rate per second.
    public static func parseRate(_ text: String) -> Double? {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let count = Int(parts[0]), (1...1_000_000).contains(count) else { return nil }
        switch parts[1] {
        case "s": return Double(count)
        case "min": return Double(count) / 60
        default: return nil
        }
    }
}
