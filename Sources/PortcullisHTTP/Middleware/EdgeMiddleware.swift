public import Hummingbird
import PortcullisPlatform

/// The edge of every request, in one middleware: identity, then the route behind the body
/// limit with its errors rendered, then CORS, the security headers, the access line and
/// compression on the way out. While the route runs, the request's ID is on the process's
/// ``InFlightRequests`` board, so a crash of this worker names the requests it took down.
///
/// The stages are plain functions run in this one frame rather than a middleware each, since
/// every async layer costs each request a frame, an executor check and a copy of the context.
public struct EdgeMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext

    let identity: RequestIdentity
    let compression: ResponseCompression?
    let accessLog: AccessLog
    let headers: SecurityHeaders
    let cors: CORSPolicy
    let errors: ErrorResponses
    let bodyLimit: BodyLimit
    let inFlight: InFlightRequests
    let metrics: HTTPMetrics

    /// - Parameter compression: nil when `server.compression` is off.
    public init(
        identity: RequestIdentity, compression: ResponseCompression?, accessLog: AccessLog, headers: SecurityHeaders,
        cors: CORSPolicy, errors: ErrorResponses, bodyLimit: BodyLimit, inFlight: InFlightRequests, metrics: HTTPMetrics
    ) {
        self.identity = identity
        self.compression = compression
        self.accessLog = accessLog
        self.headers = headers
        self.cors = cors
        self.errors = errors
        self.bodyLimit = bodyLimit
        self.inFlight = inFlight
        self.metrics = metrics
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        identity.assign(request, to: &context)
        let started = ContinuousClock.now
        metrics.started()
        var response: Response
        if let preflight = cors.preflight(request) {
            response = preflight
        } else {
            let ticket = inFlight.enter(context.requestID)
            do {
                var request = request
                if try bodyLimit.hasBody(request) { try await bodyLimit.collect(&request) }
                response = try await next(request, context)
            } catch {
                response = errors.response(for: error, to: request, context: context)
            }
            inFlight.leave(ticket)
            cors.apply(to: &response, for: request)
        }
        headers.apply(to: &response, for: request, context: context)
        accessLog.record(request, context: context, response: response, since: started)
        metrics.finished(request, route: context.endpointPath, response: response, since: started)
        compression?.apply(to: &response, for: request)
        return response
    }
}
