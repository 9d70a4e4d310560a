public import Hummingbird
import HTTPTypes

/// CORS from `cors.origins`: exact origins only (or `*` in development), preflight answered
/// here, `Vary: Origin` always, and no CORS header at all for an origin not on the list.
public struct CORSPolicyMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext

    let origins: Set<String>
    let allowsAnyOrigin: Bool
    let allowCredentials: Bool

    static let allowedMethods = "GET, HEAD, POST, PUT, PATCH, DELETE"
    static let allowedHeaders = "Authorization, Content-Type, X-Request-ID"
    static let exposedHeaders = "X-Request-ID, Retry-After, WWW-Authenticate"
    static let preflightMaxAge = "600"

    public init(origins: [String], allowCredentials: Bool) {
        self.origins = Set(origins.filter { $0 != "*" })
        self.allowsAnyOrigin = origins.contains("*")
        self.allowCredentials = allowCredentials
    }

    var isEnabled: Bool { allowsAnyOrigin || !origins.isEmpty }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard isEnabled else { return try await next(request, context) }
        guard let origin = request.headers[.origin] else {
            return varyOnOrigin(try await next(request, context))
        }
        let allowed = allowsAnyOrigin || origins.contains(origin)
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil, allowed {
            var headers = grant(origin)
            headers[.accessControlAllowMethods] = Self.allowedMethods
            headers[.accessControlAllowHeaders] = Self.allowedHeaders
            headers[.accessControlMaxAge] = Self.preflightMaxAge
            return varyOnOrigin(Response(status: .noContent, headers: headers))
        }
        var response = varyOnOrigin(try await next(request, context))
        if allowed {
            response.headers.append(contentsOf: grant(origin))
            response.headers[.accessControlExposeHeaders] = Self.exposedHeaders
        }
        return response
    }

    private func grant(_ origin: String) -> HTTPFields {
        var headers = HTTPFields()
        headers[.accessControlAllowOrigin] = origin
        if allowCredentials { headers[.accessControlAllowCredentials] = "true" }
        return headers
    }

    private func varyOnOrigin(_ response: Response) -> Response {
        var response = response
        response.headers.addVary("Origin")
        return response
    }
}
