import Foundation
import Glibc
import Logging
import PortcullisApp
import PortcullisPlatform
import ServiceLifecycle
import Synchronization

/// The worker's end of its control socket to the master: says `ready` (with its build) once it
/// serves, sends a `heartbeat` (with what it served, and its metrics) while its concurrency runtime is alive, says `recycle` when `max_requests` is
/// reached, carries the hub's messages to and from the other workers, and stops the worker
/// when the master is gone.
public final class WorkerControl: Service {
    private let fd: Int32
    private let heartbeatInterval: Duration
    private let logger: Logger
    private let stop: AsyncStream<String>.Continuation
    private let stops: AsyncStream<String>
    private let writer: ControlWriter
    private let hub = Mutex<Hub?>(nil)
    private let load: LoadCounter
    private let build: String
    private let metrics: WorkerMetrics?

    /// - Parameters:
    ///   - relayLimit: `ws.relay_queue_bytes`, the bytes of hub messages that may wait for the master.
    ///   - load: what the heartbeats report.
    ///   - build: this binary's version and revision, which the master checks against its own.
    ///   - metrics: the worker's registry, whose exposition goes with every heartbeat; nil when
    ///     the node serves no metrics (`metrics.listen` empty).
    init(fd: Int32, heartbeatInterval: Duration, relayLimit: Int, load: LoadCounter, build: String, metrics: WorkerMetrics?, logger: Logger) {
        self.fd = fd
        self.metrics = metrics
        self.heartbeatInterval = heartbeatInterval
        self.load = load
        self.build = build
        self.logger = logger
        self.writer = ControlWriter(fd: fd, label: "portcullis-control", limit: relayLimit)
        (stops, stop) = AsyncStream.makeStream(of: String.self)
    }

    /// Tells the master this worker serves.
    public func ready() { writer.send(.ready(build: build)) }

    /// Tells the master this worker reached `max_requests`, and stops it gracefully.
    public func recycle() {
        writer.send(.recycle)
        stop.yield("max_requests reached")
    }

    /// Links `hub` to the other workers of this master: what is published here is relayed to
    /// them, and what they publish is delivered here. Call before ``run()``.
    public func link(_ hub: Hub) {
        self.hub.withLock { $0 = hub }
        QueueBytes.watch(writer, key: "ws.relay_queue_bytes", link: "master", limit: writer.limit)
        hub.attach(MasterLink(writer: writer, drops: DropReport(logger: logger, queue: "hub messages for the other workers", key: "ws.relay_queue_bytes", link: "master")))
    }

    /// Sends heartbeats until the service group stops, or stops it when the master goes away.
    public func run() async throws {
        watchMaster()
        await withGracefulShutdownHandler {
            await withTaskGroup(of: String?.self) { group in
                group.addTask { [stops] in
                    for await reason in stops { return reason }
                    return nil
                }
                group.addTask { [self] in
                    while !Task.isCancelled {
                        writer.send(.heartbeat(load.load))
                        if let metrics { writer.send(.metrics(metrics.snapshot(load))) }
                        try? await Task.sleep(for: heartbeatInterval)
                    }
                    return nil
                }
                if let reason = await group.next() ?? nil {
                    logger.info("worker stopping", metadata: ["reason": .string(reason)])
                }
                group.cancelAll()
            }
        } onGracefulShutdown: { [stop] in
            stop.finish()
        }
    }

    /// Sends the last metrics, once serving is over, so the master's totals keep every request
    /// this worker answered; then waits until they and `recycle` are written: a worker that
    /// exited before would lose them and look to the master like one that died.
    public func finish() {
        if let metrics { writer.send(.metrics(metrics.snapshot(load))) }
        writer.drain()
    }

    /// Reads what the master sends — hub messages from the other workers — until its end
    /// closes, which stops this worker.
    private func watchMaster() {
        let fd = self.fd
        let stop = self.stop
        let hub = self.hub.withLock { $0 }
        let logger = self.logger
        Thread {
            do {
                try ControlMessage.read(from: fd) { message in
                    guard case .relay(let bytes) = message, let delivered = HubMessage(encoded: bytes) else { return }
                    hub?.deliver(delivered)
                }
            } catch {
                logger.error("the master sent something unreadable", metadata: ["error": .string("\(error)")])
            }
            stop.yield("the master is gone")
        }.start()
    }
}
