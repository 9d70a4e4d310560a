public import Hummingbird
import PortcullisPlatform

/// The edge of every request, in one middleware: identity, the rate limit, then the route behind the body
/// limit (or a gateway route, its body streaming) with its errors rendered, then CORS, the security headers, the access line and
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
    let gateway: (any EdgeGateway)?
    let limiter: RateLimiter?

    /// - Parameters:
    ///   - compression: nil when `server.compression` is off.
    ///   - gateway: the upstream routes, answered here with their bodies streaming; nil when there are none.
    ///   - limiter: the rate limits; nil when there are none.
    public init(
        identity: RequestIdentity, compression: ResponseCompression?, accessLog: AccessLog, headers: SecurityHeaders,
        cors: CORSPolicy, errors: ErrorResponses, bodyLimit: BodyLimit, inFlight: InFlightRequests, metrics: HTTPMetrics,
        gateway: (any EdgeGateway)? = nil, limiter: RateLimiter? = nil
    ) {
        self.gateway = gateway
        self.limiter = limiter
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
        let upstreamRoute = gateway?.route(for: request.uri.path[...])
        var limitHeaders = HTTPFields()
        var refusal: APIError?
        if let limiter {
            switch await limiter.check(request, context: context, route: upstreamRoute?.template) {
            case .admitted(let wait, let headers):
                limitHeaders = headers
                if wait > .zero { try? await Task.sleep(for: wait) }
            case .refused(let error, let headers):
                limitHeaders = headers
                refusal = error
            }
        }
        if let refusal {
            response = errors.response(for: refusal, to: request, context: context)
        } else if let preflight = cors.preflight(request) {
            response = preflight
        } else {
            let ticket = inFlight.enter(context.requestID)
            do {
                if let gateway, let upstreamRoute {
                    response = try await gateway.respond(to: request, route: upstreamRoute, context: context)
                } else {
                    var request = request
                    if try bodyLimit.hasBody(request) { try await bodyLimit.collect(&request) }
                    response = try await next(request, context)
                }
            } catch {
                response = errors.response(for: error, to: request, context: context)
            }
            inFlight.leave(ticket)
            cors.apply(to: &response, for: request)
        }
        response.headers.append(contentsOf: limitHeaders)
        headers.apply(to: &response, for: request, context: context)
        accessLog.record(request, context: context, response: response, since: started)
        metrics.finished(request, route: upstreamRoute?.template ?? context.endpointPath, response: response, since: started)
        // An upstream's response passes as it came: compressing a large download again would
        // cost more than it saves.
        if upstreamRoute == nil { compression?.apply(to: &response, for: request) }
        return response
    }
}
