public import Hummingbird
import HTTPTypes
import Logging
import PortcullisPlatform

/// Gives every request its ID (the client's `X-Request-ID` when well-formed) and resolves
/// the client address and scheme through ``TrustedProxies``: the first stage of ``EdgeMiddleware``.
public struct RequestIdentity: Sendable {
    let proxies: TrustedProxies

    public init(trustedProxies: TrustedProxies) {
        self.proxies = trustedProxies
    }

    /// Sets the request's ID, its logger's `request_id` and its origin.
    public func assign(_ request: Request, to context: inout AppRequestContext) {
        context.requestID = request.headers.value(.xRequestID).flatMap(Self.acceptable) ?? Self.newID()
        context.logger[metadataKey: "request_id"] = .string(context.requestID)
        context.origin = proxies.resolve(peer: context.peer, directScheme: context.viaTLS ? "https" : "http", headers: request.headers)
    }

    /// 1–128 characters of `[A-Za-z0-9._:-]`, or nil.
    static func acceptable(_ id: String) -> String? {
        guard (1...128).contains(id.utf8.count) else { return nil }
        let allowed = id.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                || byte == 0x2e || byte == 0x5f || byte == 0x3a || byte == 0x2d
        }
        return allowed ? id : nil
    }

    /// Where new IDs' randomness comes from: one per process.
    private static let random = RandomPool()

    /// 32 random hex digits.
    static func newID() -> String {
        let random = Self.random.next128()
        return String(unsafeUninitializedCapacity: 32) { buffer in
            func write(_ word: UInt64, at start: Int) {
                for digit in 0..<16 {
                    let nibble = UInt8(truncatingIfNeeded: word >> (60 - 4 * digit)) & 0xF
                    buffer[start + digit] = nibble < 10 ? 0x30 + nibble : 0x57 + nibble
                }
            }
            write(random.0, at: 0)
            write(random.1, at: 16)
            return 32
        }
    }
}

extension HTTPField.Name {
    /// `X-Request-ID`.
    public static let xRequestID = Self("X-Request-ID")!
}
