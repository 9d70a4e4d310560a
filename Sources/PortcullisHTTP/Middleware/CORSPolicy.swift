public import Hummingbird
import HTTPTypes

/// CORS from `cors.origins`: exact origins only (or `*` in development), preflight answered
/// here, `Vary: Origin` always, and no CORS header at all for an origin not on the list.
public struct CORSPolicy: Sendable {
    let origins: AllowedOrigins
    let allowCredentials: Bool

    static let allowedMethods = "GET, HEAD, POST, PUT, PATCH, DELETE"
    static let allowedHeaders = "Authorization, Content-Type, X-Request-ID"
    static let exposedHeaders = "X-Request-ID, Retry-After, WWW-Authenticate"
    static let preflightMaxAge = "600"

    public init(origins: [String], allowCredentials: Bool) {
        self.origins = AllowedOrigins(origins)
        self.allowCredentials = allowCredentials
    }

    var isEnabled: Bool { !origins.isEmpty }

    /// The answer to a preflight from an allowed origin; nil for every other request, which
    /// goes on to its route.
    public func preflight(_ request: Request) -> Response? {
        guard isEnabled, request.method == .options, let origin = request.headers.value(.origin),
              request.headers.has(.accessControlRequestMethod), origins.allows(origin)
        else { return nil }
        var headers = grant(origin)
        headers[.accessControlAllowMethods] = Self.allowedMethods
        headers[.accessControlAllowHeaders] = Self.allowedHeaders
        headers[.accessControlMaxAge] = Self.preflightMaxAge
        headers.addVary(.varyOrigin)
        return Response(status: .noContent, headers: headers)
    }

    /// Adds `Vary: Origin`, and the grant when the request's origin is allowed.
    public func apply(to response: inout Response, for request: Request) {
        guard isEnabled else { return }
        response.headers.addVary(.varyOrigin)
        guard let origin = request.headers.value(.origin), origins.allows(origin) else { return }
        response.headers.append(contentsOf: grant(origin))
        response.headers[.accessControlExposeHeaders] = Self.exposedHeaders
    }

    private func grant(_ origin: String) -> HTTPFields {
        var headers = HTTPFields()
        headers[.accessControlAllowOrigin] = origin
        if allowCredentials { headers[.accessControlAllowCredentials] = "true" }
        return headers
    }
}
