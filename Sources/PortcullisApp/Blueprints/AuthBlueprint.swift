import Hummingbird
import Logging
import PortcullisHTTP
import PortcullisPlatform

/// `POST /auth/login`: a username and password for an access token.
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

    static func make(services: AppServices, logger: Logger) -> Blueprint {
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
        return blueprint
    }
}
