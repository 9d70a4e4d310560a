extension Duration {
    /// The duration in seconds, as a number: for `Date` arithmetic, rates and log fields (NIO
    /// timeouts take the `Duration` itself: `TimeAmount(_:)`).
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// The duration in milliseconds, as log lines state elapsed times.
    public var milliseconds: Double { seconds * 1000 }
}
