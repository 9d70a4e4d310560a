import OpenAPIKit

/// The response bodies `/openapi.json` names under `components.schemas`.
enum ComponentSchemas {
    static let all: OpenAPI.ComponentDictionary<JSONSchema> = [
        "Error": .object(
            description: "The body of every response with a status of 400 or more.",
            properties: [
                "error": .string(description: "A stable CamelCase code: ValidationFailed, NotFound, Unauthorized, RateLimited, BadGateway…"),
                "message": .string(description: "Human-readable text."),
                "details": .object(description: "Field → problem for 409 and 422; other facts elsewhere; {} when empty.", additionalProperties: .a(true)),
                "request_id": .string(description: "The request's X-Request-ID."),
            ],
            additionalProperties: .a(false)
        ),
        "Health": .object(properties: ["status": .string(allowedValues: "ok")], additionalProperties: .a(false)),
        "Ready": .object(
            properties: [
                "status": .string(allowedValues: "ready"),
                "checks": .object(description: "Each check's result, `ok` when healthy.", additionalProperties: .b(.string)),
            ],
            additionalProperties: .a(false)
        ),
        "User": .object(
            properties: [
                "id": .integer(minimum: (1, exclusive: false)),
                "username": .string(description: "Lower-case.", minLength: 3, maxLength: 32, pattern: "^[a-z0-9_.-]*$"),
                "email": .string(
                    format: .email, required: false,
                    description: "Only for the user themself: in `GET /users/{id}` with that user's bearer token, and when signing up.",
                    maxLength: 254),
                "bio": .string(nullable: true, maxLength: 500),
                "created_at": .string(format: .dateTime),
            ],
            additionalProperties: .a(false)
        ),
        "UserPage": .object(
            properties: [
                "items": .array(items: .reference(.component(named: "User"))),
                "next_cursor": .string(nullable: true, description: "Pass as `cursor` for the next page; null on the last."),
            ],
            additionalProperties: .a(false)
        ),
        "EmailQueued": .object(
            properties: [
                "message": .string(allowedValues: "Email queued"),
                "job_id": .integer(description: "Poll `GET /jobs/{job_id}`.", minimum: (1, exclusive: false)),
            ],
            additionalProperties: .a(false)
        ),
        "JobQueued": .object(
            properties: ["job_id": .integer(description: "Poll `GET /jobs/{job_id}`.", minimum: (1, exclusive: false))],
            additionalProperties: .a(false)
        ),
        "Job": .object(
            properties: [
                "id": .integer(minimum: (1, exclusive: false)),
                "kind": .string(allowedValues: "send_email", "process_data"),
                "state": .string(
                    description: "queued → running → succeeded; a failed attempt → retrying (after a backoff) or, with no attempts left, dead.",
                    allowedValues: "queued", "running", "retrying", "succeeded", "dead"
                ),
                "attempts": .integer(description: "Attempts started so far.", minimum: (0, exclusive: false)),
                "result": .object(
                    nullable: true,
                    description: "Set once succeeded: `{count, sum, min, max, mean}` for process_data, `{message_id, transport}` for send_email.",
                    additionalProperties: .a(true)
                ),
                "error": .string(nullable: true, description: "The last attempt's error, kept when the job is dead."),
                "trace_id": .string(nullable: true, description: "The W3C trace ID of the request that queued it; the runner's log lines carry it."),
                "created_at": .string(format: .dateTime),
                "updated_at": .string(format: .dateTime),
            ],
            additionalProperties: .a(false)
        ),
        "Token": .object(
            properties: [
                "access_token": .string(description: "An HS256 JWT with sub, iat, exp, iss, aud and jti."),
                "token_type": .string(allowedValues: "bearer"),
                "expires_in": .integer(description: "Seconds until it expires (security.jwt_ttl)."),
            ],
            additionalProperties: .a(false)
        ),
    ]
}
