import Hummingbird
import PortcullisHTTP

/// `Authorization: Bearer <token>` on routes that need a user.
enum BearerAuth {
    /// The id of the user the request's token was issued for; a 401 with
    /// `WWW-Authenticate: Bearer` when the header is missing, malformed or the token invalid.
    static func userID(of request: Request, tokens: TokenService) async throws(APIError) -> Int64 {
        guard let header = request.headers[.authorization] else {
            throw APIError.unauthorized("This route needs an Authorization: Bearer token.")
        }
        guard let token = token(in: header) else {
            throw APIError.unauthorized("The Authorization header must be: Bearer <token>.")
        }
        return try await tokens.verify(token)
    }

    /// The token of an `Authorization` header value, nil unless it reads `Bearer <token>`.
    static func token(in header: String) -> String? {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1]).trimmingCharacters(in: .whitespaces)
    }
}
