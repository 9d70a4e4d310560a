public import Hummingbird
import HTTPTypes

/// Refuses bodies over `server.max_body_bytes` with 413 before routing: at once when
/// `Content-Length` says so, and while reading for chunked bodies. The body is then held in memory.
public struct BodyLimitMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext

    let limit: Int

    public init(limit: Int) {
        self.limit = limit
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let declared = request.headers[.contentLength].flatMap(Int.init)
        if let declared, declared > limit { throw APIError.payloadTooLarge(limit: limit) }
        guard (declared ?? 0) > 0 || request.headers[.transferEncoding] != nil else {
            return try await next(request, context)
        }
        var request = request
        do {
            _ = try await request.collectBody(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError.payloadTooLarge(limit: limit)
        }
        return try await next(request, context)
    }
}
