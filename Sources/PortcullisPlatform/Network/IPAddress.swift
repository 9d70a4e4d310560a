#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address as its network-order bytes; IPv4-mapped IPv6 addresses read as IPv4.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6.
    public let bytes: [UInt8]

    public var isV6: Bool { bytes.count == 16 }

    public init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.init(networkBytes: v4)
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        self.init(networkBytes: v6)
    }

    /// An IPv4 address as a socket holds it.
    public init(_ address: in_addr) { self.init(networkBytes: address) }

    /// An IPv6 address as a socket holds it; an IPv4-mapped one reads as IPv4.
    public init(_ address: in6_addr) { self.init(networkBytes: address) }

    /// From an `in_addr` or `in6_addr`; an IPv4-mapped IPv6 address becomes IPv4.
    private init<Address>(networkBytes: Address) {
        let raw = withUnsafeBytes(of: networkBytes) { Array($0) }
        bytes = raw.count == 16 && raw.starts(with: Self.mappedPrefix) ? Array(raw[12...]) : raw
    }

    private static let mappedPrefix: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]

    public var description: String {
        guard isV6 else {
            // Dotted quad by hand: every request's client is printed for its access line, and
            // inet_ntop goes through sprintf.
            return String(unsafeUninitializedCapacity: 15) { text in
                var count = 0
                for (index, byte) in bytes.enumerated() {
                    if index > 0 {
                        text[count] = UInt8(ascii: ".")
                        count += 1
                    }
                    if byte >= 100 {
                        text[count] = 0x30 + byte / 100
                        count += 1
                    }
                    if byte >= 10 {
                        text[count] = 0x30 + byte / 10 % 10
                        count += 1
                    }
                    text[count] = 0x30 + byte % 10
                    count += 1
                }
                return count
            }
        }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: Int(INET6_ADDRSTRLEN)) { buffer in
            let text = bytes.withUnsafeBytes { raw in
                inet_ntop(AF_INET6, raw.baseAddress, buffer.baseAddress, socklen_t(buffer.count))
            }
            return text.map { String(cString: $0) } ?? ""
        }
    }
}

/// An address range such as `10.0.0.0/8` or `fd00::/8`.
public struct CIDR: Sendable, Hashable {
    public let network: IPAddress
    public let prefixLength: Int

    /// Reads `ADDRESS/BITS`, or a bare address as a single-host range.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddress(String(parts[0])) else { return nil }
        let maxBits = address.bytes.count * 8
        if parts.count == 2 {
            guard let bits = Int(parts[1]), (0...maxBits).contains(bits) else { return nil }
            prefixLength = bits
        } else {
            prefixLength = maxBits
        }
        network = address
    }

    /// Whether `address` falls inside this range.
    public func contains(_ address: IPAddress) -> Bool {
        guard address.bytes.count == network.bytes.count else { return false }
        var remaining = prefixLength
        for (have, want) in zip(address.bytes, network.bytes) where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xff << (8 - bits))
            if have & mask != want & mask { return false }
            remaining -= bits
        }
        return true
    }
}
