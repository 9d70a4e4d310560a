public import Hummingbird
import HTTPTypes

/// Refuses bodies over `server.max_body_bytes` with 413 before routing: at once when
/// `Content-Length` says so, and while reading for chunked bodies. The body is then held in memory.
public struct BodyLimit: Sendable {
    let limit: Int

    public init(limit: Int) {
        self.limit = limit
    }

    /// Whether the request has a body to read; throws at once when its declared length is over the limit.
    public func hasBody(_ request: Request) throws -> Bool {
        let declared = request.headers.value(.contentLength).flatMap(Int.init)
        if let declared, declared > limit { throw APIError.payloadTooLarge(limit: limit) }
        return (declared ?? 0) > 0 || request.headers.has(.transferEncoding)
    }

    /// Reads the whole body into memory, refusing it once it passes the limit.
    public func collect(_ request: inout Request) async throws {
        do {
            _ = try await request.collectBody(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError.payloadTooLarge(limit: limit)
        }
    }
}
