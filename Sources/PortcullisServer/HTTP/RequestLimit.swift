import Synchronization

/// `server.max_requests`: counts responses and calls `reached` once, on the last one, so the
/// worker can be replaced before it has served too long.
public final class RequestLimit: Sendable {
    private let served = Atomic<Int>(0)
    private let limit: Int
    private let reached: @Sendable () -> Void

    public init(limit: Int, reached: @escaping @Sendable () -> Void) {
        self.limit = limit
        self.reached = reached
    }

    /// Counts one response; true when it is the last this worker serves.
    func count() -> Bool {
        let now = served.add(1, ordering: .relaxed).newValue
        if now == limit { reached() }
        return now >= limit
    }
}
