import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Random bytes from the kernel, fetched 256 at a time (the most one `getentropy` call gives):
/// request IDs take 16 bytes per request, and one system call per 16 IDs instead of one per ID
/// shows under load. The bytes are the kernel's CSPRNG output as they are, each handed out once.
public final class RandomPool: Sendable {
    private struct Buffer {
        var bytes = [UInt8](repeating: 0, count: RandomPool.size)
        var next = RandomPool.size
    }

    private static let size = 256
    private let buffer = Mutex(Buffer())

    public init() {}

    /// 16 random bytes as two words.
    public func next128() -> (UInt64, UInt64) {
        buffer.withLock { buffer in
            if buffer.next == Self.size {
                Self.fill(&buffer.bytes)
                buffer.next = 0
            }
            defer { buffer.next += 16 }
            return buffer.bytes.withUnsafeBytes { raw in
                (raw.loadUnaligned(fromByteOffset: buffer.next, as: UInt64.self),
                 raw.loadUnaligned(fromByteOffset: buffer.next + 8, as: UInt64.self))
            }
        }
    }

    /// The standard library's generator covers a failing `getentropy` (never seen).
    private static func fill(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { raw in
            guard getentropy(raw.baseAddress, raw.count) != 0 else { return }
            var generator = SystemRandomNumberGenerator()
            for offset in stride(from: 0, to: raw.count, by: 8) {
                raw.storeBytes(of: generator.next(), toByteOffset: offset, as: UInt64.self)
            }
        }
    }
}
