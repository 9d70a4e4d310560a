import TestSupport
import HTTPTypes
import Foundation
import Hummingbird
import HummingbirdTesting
import PortcullisApp
import PortcullisHTTP
import Testing

/// An error whose text holds exactly what a 500 must never show.
struct LeakyDatabaseError: Error, CustomStringConvertible {
    var description: String {
        "SQLITE_ERROR at /var/lib/portcullis/portcullis.db: near \"SELECT * FROM users WHERE password_hash = 'x'\""
    }
}

@Suite struct ErrorResponseTests {
    static let cases: [(String, APIError, Int, String)] = [
        ("bad", .badRequest("Nope."), 400, "BadRequest"),
        ("json", .malformedJSON("Unexpected end of input."), 400, "MalformedJSON"),
        ("auth", .unauthorized("Token expired."), 401, "Unauthorized"),
        ("forbidden", .forbidden("Not yours."), 403, "Forbidden"),
        ("gone", .notFound("No such user."), 404, "NotFound"),
        ("conflict", .conflict("Username taken."), 409, "Conflict"),
        ("big", .payloadTooLarge(limit: 10), 413, "PayloadTooLarge"),
        ("type", .unsupportedMediaType("Send JSON."), 415, "UnsupportedMediaType"),
        ("invalid", .validationFailed(fields: ["email": "is not an email address"]), 422, "ValidationFailed"),
        ("slow", .tooManyRequests(retryAfter: 30), 429, "TooManyRequests"),
        ("ready", .notReady(status: "unavailable", checks: ["database": "timeout"]), 503, "NotReady"),
    ]

    func throwing() -> (inout ApplicationBuilder) -> Void {
        { builder in
            var blueprint = Blueprint(name: "errors", prefix: "/errors")
            for (path, error, _, _) in Self.cases {
                blueprint.get(path) { _, _ in throw error }
            }
            blueprint.get("leak") { _, _ in throw LeakyDatabaseError() }
            blueprint.get("hb") { _, _ in throw HTTPError(.badRequest, message: "/etc/secret internal detail") }
            builder.register(blueprint)
        }
    }

    @Test func everyTypedErrorHasItsStatusCodeAndBody() async throws {
        try await withTestApp(customize: throwing()) { client, _, _ in
            for (path, error, status, code) in Self.cases {
                try await client.execute(uri: "/errors/\(path)", method: .get) { response in
                    #expect(response.status.code == status)
                    let body = json(response.body)
                    #expect(body["error"] as? String == code)
                    #expect(body["message"] as? String == error.message)
                    #expect(body["details"] is [String: Any])
                    #expect(body["request_id"] as? String == response.headers[.requestID])
                    #expect(Set(body.keys) == ["error", "message", "details", "request_id"])
                }
            }
        }
    }

    @Test func statusesCarryTheirRequiredHeaders() async throws {
        try await withTestApp(customize: throwing()) { client, _, _ in
            try await client.execute(uri: "/errors/auth", method: .get) { response in
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
            }
            try await client.execute(uri: "/errors/slow", method: .get) { response in
                #expect(response.headers[.retryAfter] == "30")
                #expect(json(response.body)["details"] as? [String: Int] == ["retry_after": 30])
            }
            try await client.execute(uri: "/errors/invalid", method: .get) { response in
                #expect(json(response.body)["details"] as? [String: String] == ["email": "is not an email address"])
            }
            try await client.execute(uri: "/healthz", method: .delete) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET, HEAD")
                #expect(json(response.body)["error"] as? String == "MethodNotAllowed")
            }
        }
    }

    @Test func anUnknownRouteGetsTheJSONBody() async throws {
        try await withTestApp { client, _, _ in
            try await client.execute(uri: "/no/such/route", method: .post) { response in
                #expect(response.status == .notFound)
                let body = json(response.body)
                #expect(body["error"] as? String == "NotFound")
                #expect((body["details"] as? [String: Any])?.isEmpty == true)
            }
        }
    }

    @Test func a500RevealsNoInternalTextButTheLogKeepsIt() async throws {
        try await withTestApp(customize: throwing()) { client, _, logs in
            let requestID = try await client.execute(uri: "/errors/leak", method: .get) { response in
                #expect(response.status == .internalServerError)
                let text = String(buffer: response.body)
                for leak in ["SQLITE", "/var/lib", "SELECT", "password_hash", "LeakyDatabaseError"] {
                    #expect(!text.contains(leak), "the 500 body leaked \(leak)")
                }
                let body = json(response.body)
                #expect(body["error"] as? String == "InternalServerError")
                return response.headers[.requestID]
            }
            let logged = logs.all.first { $0.contains("unhandled error") }
            #expect(logged?.contains("SELECT * FROM users") == true)
            #expect(logged?.contains(requestID ?? "?") == true)
        }
    }

    @Test func hummingbirdErrorsAreMappedWithoutTheirMessage() async throws {
        try await withTestApp(customize: throwing()) { client, _, _ in
            try await client.execute(uri: "/errors/hb", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(!String(buffer: response.body).contains("/etc/secret"))
            }
        }
    }
}
