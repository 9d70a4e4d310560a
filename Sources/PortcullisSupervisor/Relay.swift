import Logging
import PortcullisPlatform
import Synchronization

/// The master's switchboard for hub messages: a frame a worker relays goes, unchanged, to
/// every other worker with a live control socket, each through its own ``ControlWriter`` so a
/// worker that stopped reading delays nobody: what waits for it is bounded by
/// `ws.relay_queue_bytes`, beyond which its messages are dropped (``DropReport``). Frames from
/// one worker reach each other worker in the order it sent them.
final class Relay: Sendable {
    private struct Target: Sendable {
        let writer: ControlWriter
        let drops: DropReport
    }

    private let targets = Mutex<[Int: Target]>([:])
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    /// Starts relaying to worker `id` through `writer`, which also carries nothing else.
    func add(_ id: Int, writer: ControlWriter) {
        var logger = self.logger
        logger[metadataKey: "worker_id"] = "\(id)"
        let target = Target(writer: writer, drops: DropReport(logger: logger, queue: "hub messages for a worker", key: "ws.relay_queue_bytes", link: "worker"))
        targets.withLock { $0[id] = target }
    }

    /// Stops relaying to worker `id` once what was queued for it is written or failed; call
    /// before its control socket closes.
    func remove(_ id: Int) {
        let target = targets.withLock { $0.removeValue(forKey: id) }
        target?.writer.drain()
    }

    /// The bytes waiting for all workers, and what they may hold together.
    var queued: (bytes: Int, limit: Int) {
        targets.withLock { targets in
            targets.values.reduce((0, 0)) { ($0.0 + $1.writer.queuedBytes, $0.1 + $1.writer.limit) }
        }
    }

    /// Passes `message` from worker `source` to every other worker.
    func forward(_ message: ControlMessage, from source: Int) {
        let others = targets.withLock { $0.filter { $0.key != source } }
        guard !others.isEmpty else { return }
        let frame = message.encoded
        for target in others.values {
            if target.writer.send(relayed: frame) { target.drops.delivered() } else { target.drops.dropped() }
        }
    }
}
