public import Hummingbird
import Logging

/// Writes one access line per request: method, path, status, bytes, duration, client,
/// request ID and user agent. Never a header that carries credentials, never the query.
///
/// The line goes straight to the `portcullis.access` handler with typed fields in key order:
/// swift-log's metadata dictionary, built, merged and sorted on every request, and its
/// existential values cost more than the rest of the line.
public struct AccessLog: Sendable {
    let handler: StructuredLogHandler

    public init(loggers: LoggerFactory) {
        self.handler = loggers.accessHandler()
    }

    /// Writes the line of a request answered with `response`, timed from `started`.
    public func record(_ request: Request, context: AppRequestContext, response: Response, since started: ContinuousClock.Instant) {
        guard handler.logLevel <= .info else { return }
        let milliseconds = (ContinuousClock.now - started).milliseconds
        handler.log(level: .info, message: "request", requestID: context.requestID, fields: [
            .init("bytes", .integer(response.body.contentLength ?? 0)),
            .init("client", .text(context.origin.client)),
            .init("duration_ms", .number((milliseconds * 1000).rounded() / 1000)),
            .init("method", .text(request.method.rawValue)),
            .init("path", .text(request.uri.path)),
            .init("status", .integer(response.status.code)),
            .init("user_agent", .text(request.headers.value(.userAgent) ?? "")),
        ])
    }
}
