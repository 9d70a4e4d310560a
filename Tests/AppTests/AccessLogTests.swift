import TestSupport
import HTTPTypes
import Foundation
import Hummingbird
import HummingbirdTesting
import PortcullisApp
import Testing

@Suite struct AccessLogTests {
    @Test func eachRequestWritesOneAccessLineWithTheSpecFields() async throws {
        try await withTestApp(overrides: ["log.format": "json"]) { client, _, logs in
            try await client.execute(uri: "/healthz", method: .get, headers: [.userAgent: "probe/1.0", .requestID: "req-42"]) { _ in }
            try await client.execute(uri: "/missing", method: .get) { _ in }
            let access = logs.records.filter { $0["logger"] as? String == "portcullis.access" }
            #expect(access.count == 2)
            let first = try #require(access.first)
            #expect(first["method"] as? String == "GET")
            #expect(first["path"] as? String == "/healthz")
            #expect(first["status"] as? Int == 200)
            #expect(first["bytes"] as? Int == 15)
            #expect(first["duration_ms"] is Double)
            #expect(first["client"] as? String == "unknown")
            #expect(first["request_id"] as? String == "req-42")
            #expect(first["user_agent"] as? String == "probe/1.0")
            #expect(access.last?["status"] as? Int == 404)
        }
    }

    @Test func passwordsTokensSecretsAndCredentialHeadersNeverReachTheLog() async throws {
        let jwtKey = "jwt-signing-key-that-must-stay-secret-0123456789"
        try await withTestApp(overrides: ["log.format": "json", "log.level": "trace", "security.jwt_secret_key": jwtKey], customize: { builder in
            var blueprint = Blueprint(name: "leaky", prefix: "/leaky")
            blueprint.post("login") { request, context in
                let body = try await request.body.collect(upTo: 4096)
                context.logger.info("login attempt", metadata: ["password": .string(String(buffer: body)), "token": "tok-abc-123"])
                throw LeakyConfigError(text: "could not sign with \(jwtKey)")
            }
            builder.register(blueprint)
        }) { client, _, logs in
            try await client.execute(
                uri: "/leaky/login?token=query-token-987",
                method: .post,
                headers: [.authorization: "Bearer eyJhbGciOiJIUzI1NiJ9.secret-part", .cookie: "session=cookie-value-555"],
                body: ByteBuffer(string: #"{"username":"alice","password":"hunter2-correct-horse"}"#)
            ) { response in
                #expect(response.status == .internalServerError)
            }
            let text = logs.text
            #expect(text.contains("login attempt"))
            for secret in [jwtKey, "hunter2-correct-horse", "tok-abc-123", "query-token-987", "eyJhbGciOiJIUzI1NiJ9", "cookie-value-555"] {
                #expect(!text.contains(secret), "\(secret) reached the log")
            }
        }
    }
}

struct LeakyConfigError: Error, CustomStringConvertible {
    let text: String
    var description: String { text }
}
