/// How long a failed job waits before its next attempt: exponential backoff with jitter.
public struct RetryPolicy: Sendable {
    /// The delay after the first failure, doubled after each further one.
    public var base: Duration
    /// No delay is longer.
    public var cap: Duration

    public init(base: Duration = .seconds(1), cap: Duration = .seconds(600)) {
        self.base = base
        self.cap = cap
    }

    /// The delay after the `attempt`th attempt failed: half of `base · 2^(attempt-1)` (capped)
    /// for certain, the other half scaled by `jitter` (0…1, random by default), so jobs that
    /// failed together — a mail server that was down — do not all come back at once.
    public func delay(afterAttempt attempt: Int, jitter: Double = .random(in: 0...1)) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let full = min(base * (1 << exponent), cap)
        return full / 2 + full / 2 * min(max(jitter, 0), 1)
    }
}
