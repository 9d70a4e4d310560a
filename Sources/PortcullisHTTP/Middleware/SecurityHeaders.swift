public import Hummingbird
import HTTPTypes
import PortcullisPlatform

/// Puts the headers every response carries on every response: request ID, the browser
/// hardening set, `Cache-Control: no-store` on JSON, and HSTS when the client used HTTPS.
public struct SecurityHeaders: Sendable {
    /// Paths whose pages may load their own scripts and styles (the API docs page).
    let pagePaths: Set<String>

    public init(pagePaths: Set<String> = ["/docs"]) {
        self.pagePaths = pagePaths
    }

    static let apiPolicy = "default-src 'none'; frame-ancestors 'none'"
    static let pagePolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
    static let permissionsPolicy = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"
    static let hsts = "max-age=63072000; includeSubDomains"

    /// The fields every response gets, made once: a field's value is validated when it is
    /// made, and these are the same on every response.
    static let apiFields = fields(policy: apiPolicy)
    static let pageFields = fields(policy: pagePolicy)

    private static func fields(policy: String) -> HTTPFields {
        HTTPFields([
            HTTPField(name: .xContentTypeOptions, value: "nosniff"),
            HTTPField(name: .xFrameOptions, value: "DENY"),
            HTTPField(name: .referrerPolicy, value: "no-referrer"),
            HTTPField(name: .contentSecurityPolicy, value: policy),
            HTTPField(name: .crossOriginOpenerPolicy, value: "same-origin"),
            HTTPField(name: .crossOriginResourcePolicy, value: "same-origin"),
            HTTPField(name: .permissionsPolicy, value: permissionsPolicy),
            HTTPField(name: .xXSSProtection, value: "0"),
        ])
    }

    /// The names this type sets or removes. A route's own value under one of them is replaced.
    static let managedNames: [HTTPField.Name] = apiFields.map(\.name) + [.xRequestID, .strictTransportSecurity, .server]

    /// Adds the headers to a finished response.
    public func apply(to response: inout Response, for request: Request, context: AppRequestContext) {
        // Cache-Control first, while the list holds only the route's own fields to search.
        if let contentType = response.headers.value(.contentType), ASCIISearch.hasPrefix(contentType, "application/json") {
            // A route's own directives (no-transform, say) stay; no-store joins them.
            let cacheControl = response.headers.value(.cacheControl)
            if cacheControl.map({ ASCIISearch.contains($0, "no-store") }) != true {
                response.headers.set(.cacheControl, cacheControl.map { "no-store, " + $0 } ?? "no-store")
            }
        }
        let path = request.uri.path
        let isPage = pagePaths.contains { $0.utf8.count == path.utf8.count && $0 == path }
        let fields = isPage ? Self.pageFields : Self.apiFields
        let https = context.origin.scheme == "https"
        if response.headers.contains(where: { field in Self.managedNames.contains { field.name.matches($0) } }) {
            response.headers.set(.xRequestID, context.requestID)
            for field in fields { response.headers.set(field.name, field.value) }
            response.headers[.server] = nil
            if https { response.headers.set(.strictTransportSecurity, Self.hsts) }
        } else {
            // The common case: the route set none of them. Its few fields join a copy of the
            // ones made once, which costs less than appending those to its list one by one.
            var headers = fields
            headers.append(HTTPField(name: .xRequestID, value: context.requestID))
            headers.append(contentsOf: response.headers)
            if https { headers.append(Self.hstsField) }
            response.headers = headers
        }
    }

    static let hstsField = HTTPField(name: .strictTransportSecurity, value: hsts)
}

extension HTTPField.Name {
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
    static let crossOriginOpenerPolicy = Self("Cross-Origin-Opener-Policy")!
    static let crossOriginResourcePolicy = Self("Cross-Origin-Resource-Policy")!
    static let permissionsPolicy = Self("Permissions-Policy")!
    static let xXSSProtection = Self("X-XSS-Protection")!
}
