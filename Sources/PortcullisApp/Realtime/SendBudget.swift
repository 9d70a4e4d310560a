import Synchronization

/// `ws.worker_queue_bytes`: the bytes all of a worker's WebSocket send queues may hold
/// together. Each connection's own bound (`ws.send_queue_bytes`) stops one client that does
/// not read; this one stops many of them from adding up to more than the worker can hold.
final class SendBudget: Sendable {
    let limit: Int
    private let used = Atomic<Int>(0)

    init(limit: Int) { self.limit = limit }

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
