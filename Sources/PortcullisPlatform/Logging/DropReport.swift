import CoreMetrics
public import Logging
import Synchronization

/// Counts what a full queue dropped and says so once per episode: one warning when dropping
/// starts, one notice with the count when a message gets through again. A queue that drops
/// under load must not also flood the log. Every drop also counts in
/// `portcullis_queue_dropped_total{queue,link}`, the queue named by its configuration key and
/// where it leads, as in ``QueueBytes``.
public final class DropReport: Sendable {
    private let count = Atomic<Int>(0)
    private let logger: Logger
    private let queue: String
    private let key: String
    private let metric: CoreMetrics.Counter

    /// - Parameters:
    ///   - queue: what the queue carries, for the log lines ("hub messages to other workers").
    ///   - key: the configuration key that bounds it.
    ///   - link: where the queue leads: `master`, `worker`, `postgresql`.
    public init(logger: Logger, queue: String, key: String, link: String) {
        self.logger = logger
        self.queue = queue
        self.key = key
        self.metric = CoreMetrics.Counter(label: "portcullis_queue_dropped_total", dimensions: [("queue", key), ("link", link)])
    }

    /// A message was dropped.
    public func dropped() {
        metric.increment()
        if count.add(1, ordering: .relaxed).oldValue == 0 {
            logger.warning("queue full; dropping \(queue)", metadata: ["limit": .string(key)])
        }
    }

    /// A message got through.
    public func delivered() {
        guard count.load(ordering: .relaxed) > 0 else { return }
        let dropped = count.exchange(0, ordering: .relaxed)
        if dropped > 0 {
            logger.notice("queue has room again; \(queue) dropped meanwhile", metadata: ["dropped": "\(dropped)", "limit": .string(key)])
        }
    }
}
