import Glibc
import Synchronization

/// The request IDs a process is serving, kept in memory its master shares: when a worker dies
/// (a trap, or a kill after a missed heartbeat) the master reads which requests died with it
/// and logs them. The worker writes; the master reads only once the worker is gone.
///
/// The memory is a 64-byte header — how many requests found no free slot, a `UInt32` — and
/// then ``slotCount`` slots of 136 bytes: a length byte (0: free) and up to 128 bytes of ID,
/// the longest request ID ``RequestIdentity`` accepts. Requests beyond the slots are counted,
/// not named.
public final class InFlightRequests: Sendable {
    /// A request's place on the board, to hand back when it is done.
    public struct Ticket: Sendable {
        fileprivate let slot: Int
    }

    static let slotCount = 1024
    private static let headerBytes = 64
    private static let slotBytes = 136
    private static let maxIDBytes = 128
    static let byteCount = headerBytes + slotCount * slotBytes

    /// Written only under `state`'s lock; read by the master after the writer died.
    private nonisolated(unsafe) let memory: UnsafeMutableRawPointer
    /// Whether `memory` is a mapping (shared with the master) rather than an allocation.
    private let mapped: Bool
    private let state: Mutex<[Int]>

    /// A board in this process's own memory: for an application that no master watches.
    public convenience init() {
        self.init(memory: UnsafeMutableRawPointer.allocate(byteCount: Self.byteCount, alignment: 64), mapped: false)
    }

    /// The board in shared memory that the master created, handed to this worker as `fd`.
    /// The descriptor is closed; the mapping stays. Nil when it cannot be mapped.
    public convenience init?(fd: Int32) {
        let memory = SharedMemory.map(fd, byteCount: Self.byteCount)
        close(fd)
        guard let memory else { return nil }
        self.init(memory: memory, mapped: true)
    }

    private init(memory: UnsafeMutableRawPointer, mapped: Bool) {
        self.memory = memory
        self.mapped = mapped
        memory.initializeMemory(as: UInt8.self, repeating: 0, count: Self.byteCount)
        state = Mutex(Array((0..<Self.slotCount).reversed()))
    }

    /// A new board in shared memory for a worker about to start, and the descriptor to hand it
    /// (close it once the worker has it).
    public static func shared() throws(Spawner.Failure) -> (board: InFlightRequests, fd: Int32) {
        let (memory, fd) = try SharedMemory.create("portcullis-in-flight", byteCount: byteCount)
        return (InFlightRequests(memory: memory, mapped: true), fd)
    }

    /// Puts `id` on the board until ``leave(_:)``.
    public func enter(_ id: String) -> Ticket {
        state.withLock { free in
            guard let slot = free.popLast() else {
                let overflow = memory.load(as: UInt32.self)
                memory.storeBytes(of: overflow &+ 1, as: UInt32.self)
                return Ticket(slot: -1)
            }
            let start = memory + Self.headerBytes + slot * Self.slotBytes
            var length = 0
            for byte in id.utf8.prefix(Self.maxIDBytes) {
                start.storeBytes(of: byte, toByteOffset: 1 + length, as: UInt8.self)
                length += 1
            }
            start.storeBytes(of: UInt8(truncatingIfNeeded: length), as: UInt8.self)
            return Ticket(slot: slot)
        }
    }

    /// Takes a request off the board.
    public func leave(_ ticket: Ticket) {
        state.withLock { free in
            guard ticket.slot >= 0 else {
                let overflow = memory.load(as: UInt32.self)
                memory.storeBytes(of: overflow &- 1, as: UInt32.self)
                return
            }
            (memory + Self.headerBytes + ticket.slot * Self.slotBytes).storeBytes(of: 0, as: UInt8.self)
            free.append(ticket.slot)
        }
    }

    /// What is on the board: the IDs, and how many requests there are in all (more than the
    /// IDs when some found no slot).
    public func serving() -> (ids: [String], count: Int) {
        state.withLock { _ in
            var ids: [String] = []
            for slot in 0..<Self.slotCount {
                let start = memory + Self.headerBytes + slot * Self.slotBytes
                let length = Int(start.load(as: UInt8.self))
                guard length > 0 else { continue }
                ids.append(String(decoding: UnsafeRawBufferPointer(start: start + 1, count: min(length, Self.maxIDBytes)), as: UTF8.self))
            }
            return (ids, ids.count + Int(memory.load(as: UInt32.self)))
        }
    }

    deinit {
        if mapped { munmap(memory, Self.byteCount) } else { memory.deallocate() }
    }
}
