/// `server.max_requests`: calls `reached` once, on the last response a worker may send, so the
/// worker can be replaced before it has served too long. The responses are counted by
/// ``LoadCounter``.
public struct RequestLimit: Sendable {
    private let limit: Int
    private let reached: @Sendable () -> Void

    public init(limit: Int, reached: @escaping @Sendable () -> Void) {
        self.limit = limit
        self.reached = reached
    }

    /// True when the response that made the count `served` is at or past the limit.
    func isLast(_ served: Int) -> Bool {
        if served == limit { reached() }
        return served >= limit
    }
}
