import Foundation
import Glibc
import Logging
import ServiceLifecycle
import Synchronization

/// The worker's end of its control socket to the master: says `ready` once it serves, sends a
/// `heartbeat` while its concurrency runtime is alive, says `recycle` when `max_requests` is
/// reached, and stops the worker when the master is gone.
public final class WorkerControl: Service {
    private let fd: Int32
    private let heartbeatInterval: Duration
    private let logger: Logger
    private let stop: AsyncStream<String>.Continuation
    private let stops: AsyncStream<String>
    private let writeLock = Mutex(())

    public init(fd: Int32, heartbeatInterval: Duration, logger: Logger) {
        self.fd = fd
        self.heartbeatInterval = heartbeatInterval
        self.logger = logger
        (stops, stop) = AsyncStream.makeStream(of: String.self)
    }

    /// Tells the master this worker serves.
    public func ready() { send("ready") }

    /// Tells the master this worker reached `max_requests`, and stops it gracefully.
    public func recycle() {
        send("recycle")
        stop.yield("max_requests reached")
    }

    /// Sends heartbeats until the service group stops, or stops it when the master goes away.
    public func run() async throws {
        watchForMasterExit()
        await withGracefulShutdownHandler {
            await withTaskGroup(of: String?.self) { group in
                group.addTask { [stops] in
                    for await reason in stops { return reason }
                    return nil
                }
                group.addTask { [self] in
                    while !Task.isCancelled {
                        send("heartbeat")
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

    private func send(_ message: String) {
        writeLock.withLock { _ in
            let line = Array((message + "\n").utf8)
            _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        }
    }

    /// The master never writes; a read returns only when the master's end closes.
    private func watchForMasterExit() {
        let fd = self.fd
        let stop = self.stop
        Thread {
            var byte: UInt8 = 0
            while true {
                let count = read(fd, &byte, 1)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
            }
            stop.yield("the master is gone")
        }.start()
    }
}
