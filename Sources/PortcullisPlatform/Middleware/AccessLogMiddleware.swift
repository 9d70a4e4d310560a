public import Hummingbird
public import Logging

/// Writes one access line per request: method, path, status, bytes, duration, client,
/// request ID and user agent. Never a header that carries credentials, never the query.
public struct AccessLogMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext

    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - started
        let milliseconds = elapsed.milliseconds
        logger.info("request", metadata: [
            "method": .string(request.method.rawValue),
            "path": .string(request.uri.path),
            "status": .stringConvertible(response.status.code),
            "bytes": .stringConvertible(response.body.contentLength ?? 0),
            "duration_ms": .stringConvertible((milliseconds * 1000).rounded() / 1000),
            "client": .string(context.origin.client),
            "request_id": .string(context.requestID),
            "user_agent": .string(request.headers[.userAgent] ?? ""),
        ])
        return response
    }
}
