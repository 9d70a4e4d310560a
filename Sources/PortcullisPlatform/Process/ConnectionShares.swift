import Atomics
import Glibc

/// How many connections each worker of a node holds, in memory the master shares with all of
/// them, so that a worker holding more than its share stops accepting until it is back under
/// (`server.balance_accepts`, nginx's `accept_disabled` idea): the kernel then hands new
/// connections to the workers that have fewer.
///
/// The master gives each worker a slot of its own while it lives (``SlotAllocator``). A 64-byte
/// header holds how many slots were ever used, so a check reads only those; then one 64-byte
/// line per slot: the worker's open connections,
/// when it last wrote (the monotonic clock, nanoseconds), and whether it accepts. A worker
/// that stops accepting (a stop, a drain) or has not written for ``freshness`` (it is gone,
/// or stuck) is not counted, so the others never wait for it. Every field is written with
/// atomics; only its own worker writes a line, and the master clears a dead worker's.
public final class ConnectionShares: @unchecked Sendable {
    // @unchecked: the memory is read and written only through atomics; the pointer never changes.

    /// Workers alive at once that can have a slot: two generations of the most workers
    /// `server.workers` allows.
    public static let slotCount = 1024
    static let lineBytes = 64
    /// The shared memory's size: the header line and the slots.
    public static let byteCount = (1 + slotCount) * lineBytes
    /// A worker that has not written for this long (nanoseconds) is not counted.
    public static let freshness: UInt64 = 1_000_000_000

    private let base: UnsafeMutableRawPointer
    private let mapped: Bool

    /// Shares in this process's own memory: for a server that no master watches, and tests.
    public convenience init() {
        let memory = UnsafeMutableRawPointer.allocate(byteCount: Self.byteCount, alignment: Self.lineBytes)
        memory.initializeMemory(as: UInt8.self, repeating: 0, count: Self.byteCount)
        self.init(base: memory, mapped: false)
    }

    /// The shares the master created, handed to this worker as `fd` (closed here; the mapping
    /// stays). Nil when it cannot be mapped.
    public convenience init?(fd: Int32) {
        let memory = SharedMemory.map(fd, byteCount: Self.byteCount)
        close(fd)
        guard let memory else { return nil }
        self.init(base: memory, mapped: true)
    }

    private init(base: UnsafeMutableRawPointer, mapped: Bool) {
        self.base = base
        self.mapped = mapped
    }

    /// New shares in shared memory, zeroed, and the descriptor to hand each worker; the master
    /// keeps the descriptor open for the workers it starts later.
    public static func shared() throws(Spawner.Failure) -> (shares: ConnectionShares, fd: Int32) {
        let (memory, fd) = try SharedMemory.create("portcullis-connection-shares", byteCount: byteCount)
        return (ConnectionShares(base: memory, mapped: true), fd)
    }

    deinit {
        if mapped { munmap(base, Self.byteCount) } else { base.deallocate() }
    }

    /// The worker in `slot` holds `connections` and does (or no longer does) accept.
    public func publish(slot: Int, connections: Int, accepting: Bool, now: UInt64 = SharedRateTable.now()) {
        guard (0..<Self.slotCount).contains(slot) else { return }
        let used = UInt64(slot + 1)
        var known = usedSlots.load(ordering: .relaxed)
        while known < used {
            let (exchanged, original) = usedSlots.compareExchange(expected: known, desired: used, ordering: .relaxed)
            if exchanged { break }
            known = original
        }
        word(slot, 0).store(UInt64(clamping: connections), ordering: .relaxed)
        word(slot, 2).store(accepting ? 1 : 0, ordering: .relaxed)
        word(slot, 1).store(now, ordering: .releasing)
    }

    /// Forgets the worker in `slot`: the master, once it died.
    public func clear(slot: Int) {
        guard (0..<Self.slotCount).contains(slot) else { return }
        word(slot, 2).store(0, ordering: .relaxed)
        word(slot, 1).store(0, ordering: .releasing)
    }

    /// Whether the worker in `slot`, holding `connections`, holds more than its share of the
    /// connections of the workers that accept: their mean plus a slack of one connection or a
    /// sixteenth of the mean, whichever is more. The worker holding the fewest is never over,
    /// so one worker always accepts (once its next look sees the others' latest counts).
    public func overShare(slot: Int, connections: Int, now: UInt64 = SharedRateTable.now()) -> Bool {
        var total = connections
        var peers = 1
        let used = Int(min(usedSlots.load(ordering: .relaxed), UInt64(Self.slotCount)))
        for other in 0..<used where other != slot {
            let written = word(other, 1).load(ordering: .acquiring)
            guard written != 0, written > now || now - written < Self.freshness, word(other, 2).load(ordering: .relaxed) == 1 else { continue }
            total += Int(min(word(other, 0).load(ordering: .relaxed), 1 << 32))
            peers += 1
        }
        return Self.isOverShare(connections, total: total, peers: peers)
    }

    /// The rule of ``overShare(slot:connections:now:)``: `mine` > mean + max(1, mean / 16).
    static func isOverShare(_ mine: Int, total: Int, peers: Int) -> Bool {
        guard peers > 1 else { return false }
        let slack = max(1, total / (16 * peers))
        return mine * peers > total + slack * peers
    }

    /// How many slots were ever written: the highest plus one.
    private var usedSlots: UnsafeAtomic<UInt64> {
        UnsafeAtomic(at: base.assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
    }

    private func word(_ slot: Int, _ field: Int) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic(at: (base + (1 + slot) * Self.lineBytes + field * 8).assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
    }
}

/// The master's record of which slots of its ``ConnectionShares`` its live workers hold.
public struct SlotAllocator: Sendable {
    private var free = Array((0..<ConnectionShares.slotCount).reversed())

    public init() {}

    /// A free slot, the lowest; nil when every one is taken.
    public mutating func take() -> Int? { free.popLast() }

    /// `slot`'s worker exited.
    public mutating func give(_ slot: Int) {
        guard (0..<ConnectionShares.slotCount).contains(slot), !free.contains(slot) else { return }
        free.append(slot)
        free.sort(by: >)
    }
}
