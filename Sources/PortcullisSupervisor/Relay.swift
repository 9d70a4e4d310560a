import Logging
import PortcullisPlatform
import Synchronization

/// The master's switchboard for hub messages: a frame a worker relays goes, unchanged, to
/// every other worker with a live control socket, each through its own ``ControlWriter`` so a
/// worker that stopped reading delays nobody. Frames from one worker reach each other worker
/// in the order it sent them.
final class Relay: Sendable {
    private let writers = Mutex<[Int: ControlWriter]>([:])
    private let lagging = Mutex<Set<Int>>([])
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    /// Starts relaying to worker `id` through `writer`, which also carries nothing else.
    func add(_ id: Int, writer: ControlWriter) {
        writers.withLock { $0[id] = writer }
    }

    /// Stops relaying to worker `id` once what was queued for it is written or failed; call
    /// before its control socket closes.
    func remove(_ id: Int) {
        let writer = writers.withLock { $0.removeValue(forKey: id) }
        writer?.drain()
        _ = lagging.withLock { $0.remove(id) }
    }

    /// Passes `message` from worker `source` to every other worker.
    func forward(_ message: ControlMessage, from source: Int) {
        let targets = writers.withLock { $0.filter { $0.key != source } }
        guard !targets.isEmpty else { return }
        let frame = message.encoded
        for (id, writer) in targets where !writer.send(encoded: frame) {
            if lagging.withLock({ $0.insert(id).inserted }) {
                logger.warning("a worker is not reading its control socket; hub messages for it are dropped", metadata: ["worker_id": "\(id)"])
            }
        }
    }
}
