import Dispatch
import Glibc
import Synchronization

/// Writes control frames to a socket from a queue of its own, so no caller waits on the
/// peer. Hub messages (`relay`) may fill at most `limit` bytes of the queue
/// (`ws.relay_queue_bytes`); one beyond that is dropped and the send reports it. `ready`,
/// `heartbeat`, `recycle` and `metrics` (one exposition per heartbeat) always go, so a flood
/// of messages cannot make a worker miss its heartbeats and be killed for it. A frame longer than any reader accepts
/// (``ControlMessage/maximumLength``) is refused too.
public final class ControlWriter: ByteBoundedQueue {
    private let fd: Int32
    private let queue: DispatchQueue
    private let waiting = Atomic<Int>(0)
    /// The bytes of hub messages that may wait.
    public let limit: Int

    public init(fd: Int32, label: String, limit: Int) {
        self.fd = fd
        self.queue = DispatchQueue(label: label)
        self.limit = limit
    }

    /// The bytes of hub messages waiting to be written.
    public var queuedBytes: Int { waiting.load(ordering: .relaxed) }

    /// Queues `message`; false when it was a hub message and dropped.
    @discardableResult
    public func send(_ message: ControlMessage) -> Bool {
        if case .relay = message { return send(relayed: message.encoded) }
        enqueue(message.encoded)
        return true
    }

    /// Queues a hub message's frame, already encoded to send the same bytes to several peers;
    /// false when it was dropped.
    @discardableResult
    public func send(relayed frame: [UInt8]) -> Bool {
        guard frame.count <= 4 + ControlMessage.maximumLength else { return false }
        guard waiting.add(frame.count, ordering: .relaxed).newValue <= limit else {
            waiting.subtract(frame.count, ordering: .relaxed)
            return false
        }
        enqueue(frame, counted: true)
        return true
    }

    private func enqueue(_ frame: [UInt8], counted: Bool = false) {
        let count = frame.count
        let fd = self.fd
        queue.async { [self] in
            var offset = 0
            while offset < count {
                let written = frame.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, count - offset, Int32(MSG_NOSIGNAL)) }
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { break }
                offset += written
            }
            if counted { waiting.subtract(count, ordering: .relaxed) }
        }
    }

    /// Returns once every queued frame was written or failed: before the descriptor closes.
    public func drain() {
        queue.sync {}
    }
}
