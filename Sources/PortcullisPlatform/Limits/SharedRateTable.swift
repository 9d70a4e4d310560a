import Atomics
import Foundation
import Glibc

/// Rate-limit buckets every worker of a node shares: a file in the state directory mapped into
/// each worker (`MAP_SHARED`), holding per key the generic cell rate algorithm's theoretical
/// arrival time, updated with atomic compare-and-swap on the machine's monotonic clock. One
/// 64-bit value per key makes a check one CAS loop, whichever worker the connection reached.
///
/// The table has a fixed size (``slots`` keys, ``byteCount`` bytes), so no input can grow it:
/// keys hash into 4-way sets, and a key that finds its set full of live keys shares the least
/// recently admitted one's bucket, which can only make the limit stricter for both.
public final class SharedRateTable: @unchecked Sendable {
    // @unchecked: the mapping is written only through atomics; the pointer itself never changes.

    /// Keys the table holds at once.
    public static let slots = 1 << 16
    static let ways = 4
    static let headerBytes = 64
    /// The file's size: the header (layout version, boot ID, hash seed) and two 64-bit words per slot.
    public static let byteCount = headerBytes + slots * 16
    static let layout: UInt64 = 1

    private let base: UnsafeMutableRawPointer

    /// Maps the table at `path`, creating it when missing. A table written before the machine
    /// last booted holds another clock's times, so it is cleared.
    public init(path: String) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SharedRateTableError("cannot open \(path): errno \(errno)") }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw SharedRateTableError("cannot stat \(path): errno \(errno)") }
        if Int(status.st_size) < Self.byteCount, ftruncate(fd, off_t(Self.byteCount)) != 0 {
            throw SharedRateTableError("cannot size \(path): errno \(errno)")
        }
        guard let mapped = mmap(nil, Self.byteCount, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), mapped != MAP_FAILED else {
            throw SharedRateTableError("cannot map \(path): errno \(errno)")
        }
        base = mapped
        let boot = Self.bootID()
        let header = word(0)
        if header.load(ordering: .acquiring) != Self.layout || word(1).load(ordering: .relaxed) != boot {
            memset(base + Self.headerBytes, 0, Self.byteCount - Self.headerBytes)
            word(1).store(boot, ordering: .relaxed)
            word(2).store(UInt64.random(in: 1...UInt64.max), ordering: .relaxed)
            header.store(Self.layout, ordering: .releasing)
        }
    }

    /// A 64-bit key for `parts`, the same in every worker of the node and unknown outside it
    /// (FNV-1a from the table's random seed), so clients cannot aim their keys at one set.
    public func key(_ parts: String...) -> UInt64 {
        var hash = word(2).load(ordering: .relaxed) ^ 14_695_981_039_346_656_037
        for part in parts {
            for byte in part.utf8 { hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211 }
            hash = (hash ^ 0xff) &* 1_099_511_628_211
        }
        return hash
    }

    deinit { munmap(base, Self.byteCount) }

    /// The outcome of ``admit(key:interval:tolerance:now:)``.
    public enum Decision: Equatable, Sendable {
        /// Admitted; `wait` is how far ahead of its turn the request came (zero when the
        /// bucket was empty), `remaining` how many more would pass right now.
        case admitted(wait: UInt64, remaining: Int)
        /// Refused; the bucket has room again in `retryAfter` nanoseconds.
        case refused(retryAfter: UInt64)
    }

    /// Counts one request against `key`'s bucket: one request per `interval` nanoseconds,
    /// `tolerance` nanoseconds of burst (burst × interval).
    public func admit(key: UInt64, interval: UInt64, tolerance: UInt64, now: UInt64 = SharedRateTable.now()) -> Decision {
        let tat = slot(for: key, now: now)
        var current = tat.load(ordering: .relaxed)
        while true {
            let start = max(current, now)
            let ahead = start - now
            guard ahead <= tolerance else { return .refused(retryAfter: ahead - tolerance) }
            let next = start &+ interval
            let (exchanged, original) = tat.compareExchange(expected: current, desired: next, ordering: .relaxed)
            if exchanged {
                let remaining = interval == 0 ? Int.max : Int((tolerance - ahead) / interval)
                return .admitted(wait: ahead, remaining: remaining)
            }
            current = original
        }
    }

    /// The machine's monotonic clock in nanoseconds, the same in every process.
    public static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }

    /// The theoretical-arrival-time word of `key`: its slot in the key's set, or a free or
    /// expired one it takes, or the set's oldest.
    private func slot(for key: UInt64, now: UInt64) -> UnsafeAtomic<UInt64> {
        let tag = key | 1  // 0 marks a free slot
        let set = Int(truncatingIfNeeded: (key >> 17) % UInt64(Self.slots / Self.ways)) * Self.ways
        var oldest = set
        var oldestTime = UInt64.max
        for index in set..<(set + Self.ways) {
            let owner = word(Self.firstSlotWord + index * 2)
            let seen = owner.load(ordering: .relaxed)
            if seen == tag { return word(Self.firstSlotWord + 1 + index * 2) }
            let time = word(Self.firstSlotWord + 1 + index * 2).load(ordering: .relaxed)
            if seen == 0 || time < now {
                if owner.compareExchange(expected: seen, desired: tag, ordering: .relaxed).exchanged {
                    return word(Self.firstSlotWord + 1 + index * 2)
                }
            }
            if time < oldestTime {
                oldest = index
                oldestTime = time
            }
        }
        return word(Self.firstSlotWord + 1 + oldest * 2)
    }

    /// Slot words start after the header: an owner tag, then its theoretical arrival time.
    private static let firstSlotWord = headerBytes / 8

    private func word(_ index: Int) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic(at: (base + index * 8).assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
    }

    /// This boot's ID (`/proc/sys/kernel/random/boot_id`) folded into 64 bits.
    private static func bootID() -> UInt64 {
        let text = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)) ?? ""
        return text.utf8.reduce(14_695_981_039_346_656_037) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 } | 1
    }
}

/// The rate-limit table's file cannot be used.
public struct SharedRateTableError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
