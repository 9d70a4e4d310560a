import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes lines to a descriptor in batches: a line waits at most `delay`, and a batch is at
/// most `PIPE_BUF` bytes of whole lines, so a write to a pipe stays atomic and lines from
/// several processes never interleave. The access log writes through one: a `write(2)` per
/// request, with the workers contending for the same file, cost a fifth of /healthz's
/// throughput. The price is that access lines can trail other lines by up to `delay`, and a
/// worker killed outright loses what it held.
public final class BatchedSink: LogSink {
    private struct Pending {
        var bytes: [UInt8] = []
        var flushScheduled = false
    }

    private let pending = Mutex(Pending())
    private let descriptor: Int32
    private let delay: Duration
    private static let batchLimit = Int(PIPE_BUF)

    public init(descriptor: Int32 = STDERR_FILENO, delay: Duration = .milliseconds(20)) {
        self.descriptor = descriptor
        self.delay = delay
    }

    public func write(line: String) {
        var line = line
        line.withUTF8 { write(bytes: $0) }
    }

    /// The access log's lines come as the bytes they were written into: no `String` between.
    public func write(utf8 line: [UInt8]) {
        line.withUnsafeBufferPointer { write(bytes: $0) }
    }

    private func write(bytes utf8: UnsafeBufferPointer<UInt8>) {
        let scheduleFlush = pending.withLock { pending in
            if pending.bytes.count + utf8.count > Self.batchLimit { drain(&pending) }
            if utf8.count >= Self.batchLimit {
                writeFully(descriptor, UnsafeRawBufferPointer(utf8))
                return false
            }
            pending.bytes.append(contentsOf: utf8)
            defer { pending.flushScheduled = true }
            return !pending.flushScheduled
        }
        if scheduleFlush {
            Task.detached { [self, delay] in
                try? await Task.sleep(for: delay)
                flush()
            }
        }
    }

    public func flush() {
        pending.withLock { pending in
            drain(&pending)
            pending.flushScheduled = false
        }
    }

    private func drain(_ pending: inout Pending) {
        guard !pending.bytes.isEmpty else { return }
        pending.bytes.withUnsafeBytes { writeFully(descriptor, $0) }
        pending.bytes.removeAll(keepingCapacity: true)
    }
}
