import Hummingbird
import Logging
import PortcullisHTTP
import PortcullisPlatform

/// `POST /auth/login`: a username and password for an access token. `GET /auth/verify`:
/// forward auth for the proxy in front (``verify(_:_:services:)``).
///
/// An unknown username and a wrong password get the same 401, after the same work (one attempt
/// counted, one scrypt derivation), so neither the body nor the timing tells them apart.
/// Attempts are limited per username and client address, per client address and per username
/// in the database (``LoginThrottle``).
enum AuthBlueprint {
    static let credentials = BodySchema(name: "Credentials", fields: [
        FieldRule("username", .string(minLength: 1, maxLength: 254), summary: "Matched regardless of case."),
        FieldRule("password", .string(minLength: 1, maxLength: 128), summary: "The user's password."),
    ])

    struct Token: Encodable {
        let access_token: String
        let token_type: String
        let expires_in: Int
    }

    /// Logins by outcome (`success`, `failure`, `throttled`), for the node's metrics.
    static let logins = MetricFamily.counter("portcullis_auth_logins_total", labels: ["outcome"])

    /// - Parameter gateway: the routes whose `auth` decides what `/auth/verify` answers for them.
    static func make(services: AppServices, gateway: GatewayConfig, logger: Logger) -> Blueprint {
        var blueprint = Blueprint(name: "auth", prefix: "auth")
        blueprint.post("login", doc: RouteDoc(
            summary: "Log in",
            description: "Attempts are limited per username and client address (security.login_max_failures in 15 minutes), "
                + "per client address (security.login_max_failures_per_client) and per username (security.login_max_failures_per_user).",
            requestBody: credentials,
            responses: [
                .init(200, "An access token.", schema: "Token"),
                .init(401, "Unknown username or wrong password (the same answer for both).", schema: "Error"),
                .init(429, "Too many failed logins; Retry-After says for how long.", schema: "Error"),
            ]
        )) { request, context in
            let body = try await JSONBody.read(request, context: context, schema: credentials)
            let username = body.string("username")
            let keys = services.throttle.keys(client: context.origin.client, username: username)
            let account = try await services.store.transaction(.write) { session in
                if let seconds = try await services.throttle.admit(keys, in: session) {
                    // Thrown inside the transaction, so the refused attempt is not counted.
                    logins["throttled"].increment()
                    throw APIError.tooManyRequests(retryAfter: seconds)
                }
                return try await UserRepository.credentials(username: username, in: session)
            }
            let valid = try await services.passwords.verify(body.string("password"), against: account?.hash)
            guard valid, let account else {
                logins["failure"].increment()
                logger.notice("login failed", metadata: ["request_id": .string(context.requestID), "client": .string(context.origin.client)])
                throw APIError.unauthorized("The username or password is wrong.")
            }
            logins["success"].increment()
            try await services.store.transaction(.write) { session in
                try await services.throttle.succeeded(keys, in: session)
            }
            let token = try await services.tokens.issue(userID: account.id)
            return try JSONResponse.make(Token(access_token: token, token_type: "bearer", expires_in: services.tokens.lifetime))
        }
        blueprint.get("verify", doc: RouteDoc(
            summary: "Forward auth",
            description: "For nginx auth_request, Caddy forward_auth and Traefik ForwardAuth: 204 with X-Auth-Request-User, "
                + "X-Auth-Request-User-Id and X-Auth-Request-Email for a valid bearer token, else 401 with WWW-Authenticate: Bearer. "
                + "X-Original-Method and X-Original-URI (or X-Forwarded-Method and X-Forwarded-Uri) name the request the proxy asks "
                + "about; they are in the access line. For a URI under a gateway route with auth: none, 204 without a token.",
            responses: [
                .init(204, "The token is valid; the identity is in the X-Auth-Request-* headers."),
                .init(401, "No token, or not a valid one.", schema: "Error"),
            ]
        )) { request, context in
            try await verify(request, context, services: services, gateway: gateway)
        }
        return blueprint
    }

    /// Answers the proxy in front: who the bearer of the request's token is, for the request
    /// the proxy names. A URI under a gateway route with `auth: none` needs no token.
    static func verify(_ request: Request, _ context: AppRequestContext, services: AppServices, gateway: GatewayConfig) async throws -> Response {
        let original = OriginalRequest(request)
        context.accessNotes.add(.init("original_method", .text(original.method)))
        context.accessNotes.add(.init("original_uri", .text(original.path)))
        if gateway.route(for: original.path[...])?.auth == GatewayRoute.Auth.none, request.headers[.authorization] == nil {
            return Response(status: .noContent, headers: [.cacheControl: "no-store"])
        }
        let id = try await BearerAuth.userID(of: request, tokens: services.tokens)
        guard let user = try await services.store.transaction(.readOnly, { session in try await UserRepository.find(id: id, in: session) }) else {
            throw APIError.unauthorized("The token's user no longer exists.")
        }
        var response = Response(status: .noContent)
        IdentityHeaders.set(user, in: &response.headers)
        response.headers[.cacheControl] = "no-store"
        return response
    }
}
