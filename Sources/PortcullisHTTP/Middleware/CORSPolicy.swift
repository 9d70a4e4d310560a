public import Hummingbird
import HTTPTypes

/// CORS from `cors.origins`: exact origins only (or `*` in development), preflight answered
/// here, `Vary: Origin` always, and no CORS header at all for an origin not on the list.
public struct CORSPolicy: Sendable {
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

    /// The answer to a preflight from an allowed origin; nil for every other request, which
    /// goes on to its route.
    public func preflight(_ request: Request) -> Response? {
        guard isEnabled, request.method == .options, let origin = request.headers.value(.origin),
              request.headers.has(.accessControlRequestMethod), allows(origin)
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
        guard let origin = request.headers.value(.origin), allows(origin) else { return }
        response.headers.append(contentsOf: grant(origin))
        response.headers[.accessControlExposeHeaders] = Self.exposedHeaders
    }

    private func allows(_ origin: String) -> Bool {
        allowsAnyOrigin || origins.contains(origin)
    }

    private func grant(_ origin: String) -> HTTPFields {
        var headers = HTTPFields()
        headers[.accessControlAllowOrigin] = origin
        if allowCredentials { headers[.accessControlAllowCredentials] = "true" }
        return headers
    }
}
