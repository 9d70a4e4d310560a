import Dispatch
import Glibc
import Synchronization

/// Writes control frames to a socket from a queue of its own, so no caller waits on the
/// peer. At most `limit` bytes wait to be written; a frame beyond that is dropped and the
/// send reports it, since a peer that far behind has stopped reading and is about to be
/// replaced for missing its heartbeats.
public final class ControlWriter: Sendable {
    private let fd: Int32
    private let queue: DispatchQueue
    private let waiting = Atomic<Int>(0)
    private let limit: Int

    public init(fd: Int32, label: String, limit: Int = 256 << 20) {
        self.fd = fd
        self.queue = DispatchQueue(label: label)
        self.limit = limit
    }

    /// Queues `message`; false when it was dropped.
    @discardableResult
    public func send(_ message: ControlMessage) -> Bool {
        send(encoded: message.encoded)
    }

    /// Queues a frame already encoded, to send the same bytes to several peers.
    @discardableResult
    public func send(encoded frame: [UInt8]) -> Bool {
        let count = frame.count
        guard waiting.add(count, ordering: .relaxed).newValue <= limit else {
            waiting.subtract(count, ordering: .relaxed)
            return false
        }
        let fd = self.fd
        queue.async { [self] in
            var offset = 0
            while offset < count {
                let written = frame.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, count - offset, Int32(MSG_NOSIGNAL)) }
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { break }
                offset += written
            }
            waiting.subtract(count, ordering: .relaxed)
        }
        return true
    }

    /// Returns once every queued frame was written or failed: before the descriptor closes.
    public func drain() {
        queue.sync {}
    }
}
