import CoreMetrics
import Synchronization

/// A queue that input can fill, bounded in bytes: what it holds now.
public protocol ByteBoundedQueue: AnyObject, Sendable {
    /// The bytes waiting in the queue.
    var queuedBytes: Int { get }
}

/// The byte-bounded queues of a worker process, read when its metrics are taken:
/// `portcullis_queue_bytes{queue,link}` is what they hold and `portcullis_queue_limit_bytes`
/// what they may hold, summed over the queues of one configuration key (`queue`) and one
/// destination (`link`). A queue is watched for as long as it lives.
public enum QueueBytes {
    private struct Entry {
        weak var queue: (any ByteBoundedQueue)?
        let key: String
        let link: String
        let limit: Int
    }

    private struct Series: Hashable {
        let key: String
        let link: String
    }

    private struct State {
        var entries: [Entry] = []
        /// Every series recorded so far, so one whose queues are gone reads 0.
        var seen: Set<Series> = []
    }

    private static let state = Mutex(State())

    /// Reports `queue`'s bytes from now on, until it is gone.
    /// - Parameters:
    ///   - key: the configuration key that bounds it, such as `ws.relay_queue_bytes`.
    ///   - link: where its contents go: `master`, `worker`, `postgresql`, `clients`.
    ///   - limit: the bytes it may hold.
    public static func watch(_ queue: some ByteBoundedQueue, key: String, link: String, limit: Int) {
        state.withLock { $0.entries.append(Entry(queue: queue, key: key, link: link, limit: limit)) }
    }

    /// Sets the gauges from the queues that are still there and forgets the others; a series
    /// whose queues are all gone reads 0.
    public static func record() {
        let totals = state.withLock { state in
            state.entries.removeAll { $0.queue == nil }
            var totals = Dictionary(uniqueKeysWithValues: state.seen.map { ($0, (bytes: 0, limit: 0)) })
            for entry in state.entries {
                guard let queue = entry.queue else { continue }
                let series = Series(key: entry.key, link: entry.link)
                totals[series, default: (0, 0)].bytes += queue.queuedBytes
                totals[series, default: (0, 0)].limit += entry.limit
                state.seen.insert(series)
            }
            return totals
        }
        for (series, total) in totals {
            let dimensions = [("queue", series.key), ("link", series.link)]
            Gauge(label: "portcullis_queue_bytes", dimensions: dimensions).record(total.bytes)
            Gauge(label: "portcullis_queue_limit_bytes", dimensions: dimensions).record(total.limit)
        }
    }
}
