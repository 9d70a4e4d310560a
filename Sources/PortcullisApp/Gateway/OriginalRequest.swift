import HTTPTypes
import Hummingbird

/// The request a proxy asks about when it calls `GET /auth/verify`: nginx `auth_request` sends
/// `X-Original-Method` and `X-Original-URI` (set in its configuration), Traefik and Caddy send
/// `X-Forwarded-Method` and `X-Forwarded-Uri`. Without them it is the request itself.
struct OriginalRequest: Sendable, Equatable {
    static let originalMethod = HTTPField.Name("X-Original-Method")!
    static let originalURI = HTTPField.Name("X-Original-URI")!
    static let forwardedMethod = HTTPField.Name("X-Forwarded-Method")!
    static let forwardedURI = HTTPField.Name("X-Forwarded-Uri")!

    let method: String
    /// The path, without the query.
    let path: String

    init(_ request: Request) {
        let headers = request.headers
        method = Self.value(headers[Self.originalMethod] ?? headers[Self.forwardedMethod], limit: 16) ?? request.method.rawValue
        let uri = Self.value(headers[Self.originalURI] ?? headers[Self.forwardedURI], limit: 8192) ?? request.uri.path
        path = String(uri.prefix { $0 != "?" && $0 != "#" })
    }

    /// A header value worth believing: 1 to `limit` printable ASCII characters.
    private static func value(_ text: String?, limit: Int) -> String? {
        guard let text, (1...limit).contains(text.utf8.count), text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else { return nil }
        return text
    }
}
