public import Hummingbird
import Logging
import PortcullisPlatform

/// Writes one access line per request: method, path, status, bytes, duration, client,
/// request ID, trace ID and user agent, and the fields the route added
/// (``AppRequestContext/accessNotes``). Never a header that carries credentials, never the query.
///
/// The line goes straight to the `portcullis.access` handler with typed fields in key order,
/// so no metadata dictionary is built, merged and sorted per request.
public struct AccessLog: Sendable {
    let handler: StructuredLogHandler

    public init(loggers: LoggerFactory) {
        self.handler = loggers.accessHandler()
    }

    /// Writes the line of a request answered with `response`, timed from `started`.
    public func record(_ request: Request, context: AppRequestContext, response: Response, since started: ContinuousClock.Instant) {
        write(
            requestID: context.requestID, method: request.method.rawValue, path: request.uri.path, status: response.status.code,
            bytes: response.body.contentLength ?? 0, client: context.origin.client, userAgent: request.headers.value(.userAgent) ?? "",
            traceID: context.traceID, extra: context.accessNotes.all, since: started)
    }

    /// Writes the line of a request the HTTP parser refused, which has no method, path or
    /// user agent to tell (each is `-`); `client` is the connection's peer.
    public func recordUnparsed(requestID: String, status: Int, bytes: Int, client: String, since started: ContinuousClock.Instant) {
        write(
            requestID: requestID, method: "-", path: "-", status: status, bytes: bytes, client: client, userAgent: "-", traceID: "-",
            since: started)
    }

    private func write(
        requestID: String, method: String, path: String, status: Int, bytes: Int, client: String, userAgent: String, traceID: String,
        extra: [StructuredLogHandler.TypedField] = [], since started: ContinuousClock.Instant
    ) {
        guard handler.logLevel <= .info else { return }
        let milliseconds = (ContinuousClock.now - started).milliseconds
        var fields: [StructuredLogHandler.TypedField] = [
            .init("bytes", .integer(bytes)),
            .init("client", .text(client)),
            .init("duration_ms", .number((milliseconds * 1000).rounded() / 1000)),
            .init("method", .text(method)),
            .init("path", .text(path)),
            .init("status", .integer(status)),
            .init("trace_id", .text(traceID)),
            .init("user_agent", .text(userAgent)),
        ]
        if !extra.isEmpty {
            fields += extra
            fields.sort { $0.name.description < $1.name.description }
        }
        handler.log(level: .info, message: "request", requestID: requestID, fields: fields)
    }
}
