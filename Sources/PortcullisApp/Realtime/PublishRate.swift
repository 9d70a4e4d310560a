
/// `ws.publish_rate`: how fast one connection may publish to the hub (broadcast, chat,
/// pub/sub). A token bucket of one second's worth: a burst of `rate` messages at once, then
/// `rate` a second; a connection cannot make every other subscriber's queue its own.
struct PublishRate: Sendable {
    let rate: Int
    private var tokens: Double
    private var last: ContinuousClock.Instant?

    init(rate: Int) {
        self.rate = rate
        tokens = Double(rate)
    }

    /// Whether a message published at `now` is within the rate; it takes a token if so.
    mutating func admit(now: ContinuousClock.Instant = .now) -> Bool {
        if let last {
            tokens = min(Double(rate), tokens + (now - last).seconds * Double(rate))
        }
        last = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
