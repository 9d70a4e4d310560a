public import Hummingbird
import HTTPTypes
import Logging

/// Gives every request its ID (the client's `X-Request-ID` when well-formed) and resolves
/// the client address and scheme through ``TrustedProxies``.
public struct RequestIdentityMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext

    let proxies: TrustedProxies

    public init(trustedProxies: TrustedProxies) {
        self.proxies = trustedProxies
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.requestID = request.headers[.xRequestID].flatMap(Self.acceptable) ?? Self.newID()
        context.logger[metadataKey: "request_id"] = .string(context.requestID)
        context.origin = proxies.resolve(peer: context.peer, directScheme: context.viaTLS ? "https" : "http", headers: request.headers)
        return try await next(request, context)
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

    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return hex(high) + hex(low)
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

extension HTTPField.Name {
    /// `X-Request-ID`.
    public static let xRequestID = Self("X-Request-ID")!
}
