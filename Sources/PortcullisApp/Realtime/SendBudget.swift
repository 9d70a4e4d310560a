import PortcullisPlatform
import Synchronization

/// `ws.worker_queue_bytes`: the bytes all of a worker's WebSocket send queues may hold
/// together. Each connection's own bound (`ws.send_queue_bytes`) stops one client that does
/// not read; this one stops many of them from adding up to more than the worker can hold.
final class SendBudget: ByteBoundedQueue {
    let limit: Int
    private let used = Atomic<Int>(0)

    /// Watched by ``QueueBytes`` as `ws.worker_queue_bytes` to `clients`.
    init(limit: Int) {
        self.limit = limit
        QueueBytes.watch(self, key: "ws.worker_queue_bytes", link: "clients", limit: limit)
    }

    var queuedBytes: Int { used.load(ordering: .relaxed) }

    /// Takes `bytes` from the budget; false, taking nothing, when that would exceed it.
    func reserve(_ bytes: Int) -> Bool {
        guard used.add(bytes, ordering: .relaxed).newValue <= limit else {
            used.subtract(bytes, ordering: .relaxed)
            return false
        }
        return true
    }

    /// Gives `bytes` back.
    func release(_ bytes: Int) {
        used.subtract(bytes, ordering: .relaxed)
    }
}
