/// A set of ASCII bytes, to check that a header value or a host name is made only of them
/// (a 128-bit mask: one test per byte, no allocation).
public struct ASCIISet: Sendable {
    @usableFromInline var low: UInt64 = 0
    @usableFromInline var high: UInt64 = 0

    /// Letters and digits, and each byte of `others` (ASCII; anything else is ignored).
    public init(alphanumericsAnd others: StaticString) {
        for byte in UInt8(ascii: "0")...UInt8(ascii: "9") { insert(byte) }
        for byte in UInt8(ascii: "A")...UInt8(ascii: "Z") { insert(byte) }
        for byte in UInt8(ascii: "a")...UInt8(ascii: "z") { insert(byte) }
        others.withUTF8Buffer { bytes in for byte in bytes { insert(byte) } }
    }

    private mutating func insert(_ byte: UInt8) {
        if byte < 64 {
            low |= 1 << UInt64(byte)
        } else if byte < 128 {
            high |= 1 << UInt64(byte - 64)
        }
    }

    /// Whether `byte` is in the set.
    @inlinable public func contains(_ byte: UInt8) -> Bool {
        byte < 64 ? low & (1 << UInt64(byte)) != 0 : byte < 128 && high & (1 << UInt64(byte - 64)) != 0
    }

    /// Whether every byte of `text` is in the set (true for empty text).
    @inlinable public func containsAll(_ text: some StringProtocol) -> Bool {
        text.utf8.allSatisfy(contains)
    }
}
