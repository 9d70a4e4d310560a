import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import TestSupport

@Suite("Jobs: send-email, process-data, GET /jobs/{id}")
struct JobsRoutesTests {
    static let email = #"{"to":"rae@example.com","subject":"Grüße","body":"Hello,\nthe report is ready."}"#

    /// A signed-up user's `Authorization` header.
    static func bearer(_ client: any TestClientProtocol, _ username: String = "joan") async throws -> HTTPFields {
        try await client.signUp(username)
        return [.authorization: "Bearer \(try await client.logIn(username))"]
    }

    /// Polls `GET /jobs/{id}` until the job is in one of `states`.
    static func waitForJob(
        _ client: any TestClientProtocol, _ id: Int, auth: HTTPFields, until states: Set<String>, timeout: Duration = .seconds(20)
    ) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let reply = try await client.send(.get, "/jobs/\(id)", headers: auth)
            guard reply.status == .ok else { throw SignUpFailed(reply: reply.text) }
            if states.contains(reply.body["state"] as? String ?? "") { return reply.body }
            guard ContinuousClock.now < deadline else { throw SignUpFailed(reply: "job \(id) stayed \(reply.text)") }
            try await Task.sleep(for: .milliseconds(25))
        }
    }

    @Test("a user may queue mail.max_per_user emails an hour; one more is 429 and queues nothing", arguments: DatabaseBackend.allCases)
    func emailsPerUserAreLimited(backend: DatabaseBackend) async throws {
        try await withTestApp(backend: backend, overrides: ["mail.max_per_user": "3"]) { client, _, _ in
            let auth = try await Self.bearer(client)
            for _ in 0..<3 {
                #expect(try await client.send(.post, "/send-email", body: Self.email, headers: auth).status == .accepted)
            }
            let refused = try await client.send(.post, "/send-email", body: Self.email, headers: auth)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.body["error"] as? String == "TooManyRequests")
            let retryAfter = try #require(refused.headers[.retryAfter].flatMap { Int($0) })
            #expect((3500...3600).contains(retryAfter))
            // Another user has a quota of their own, and other kinds of job are not counted.
            let other = try await Self.bearer(client, "kim")
            #expect(try await client.send(.post, "/send-email", body: Self.email, headers: other).status == .accepted)
            #expect(try await client.send(.post, "/process-data", body: #"{"items":[1]}"#, headers: auth).status == .accepted)
        }
    }

    @Test("POST /send-email queues a job that writes an RFC 5322 message into the outbox", arguments: DatabaseBackend.allCases)
    func sendEmailToOutbox(backend: DatabaseBackend) async throws {
        try await withTestApp(backend: backend) { client, app, _ in
            let auth = try await Self.bearer(client)
            let reply = try await client.send(.post, "/send-email", body: Self.email, headers: auth)
            #expect(reply.status == .accepted)
            #expect(reply.body["message"] as? String == "Email queued")
            let id = try #require(reply.body["job_id"] as? Int)
            #expect(reply.headers[.location] == "/jobs/\(id)")
            let job = try await Self.waitForJob(client, id, auth: auth, until: ["succeeded", "dead"])
            #expect(job["state"] as? String == "succeeded")
            #expect(job["kind"] as? String == "send_email")
            #expect(job["attempts"] as? Int == 1)
            #expect(job["error"] is NSNull)
            #expect(job.keys.sorted() == ["attempts", "created_at", "error", "id", "kind", "result", "state", "trace_id", "updated_at"])
            #expect((job["trace_id"] as? String)?.count == 32, "the trace the request started")
            let result = try #require(job["result"] as? [String: Any])
            #expect(result["transport"] as? String == "outbox")

            let outbox = app.config.server.stateDir + "/outbox"
            #expect(try FileManager.default.contentsOfDirectory(atPath: outbox) == ["\(id).eml"])
            let message = try String(contentsOfFile: "\(outbox)/\(id).eml", encoding: .utf8)
            let (head, body) = try #require(message.split(separator: "\r\n\r\n", maxSplits: 1).map(String.init).splitPair)
            let headers = head.components(separatedBy: "\r\n")
            #expect(headers.contains("From: portcullis@localhost"))
            #expect(headers.contains("To: rae@example.com"))
            #expect(headers.contains("Subject: =?UTF-8?B?R3LDvMOfZQ==?="))
            #expect(headers.contains("Message-ID: <\(result["message_id"] as? String ?? "")>"))
            #expect(headers.contains("Content-Type: text/plain; charset=utf-8"))
            #expect(headers.contains { $0.hasPrefix("Date: ") && $0.hasSuffix(" +0000") })
            #expect(body == "Hello,\r\nthe report is ready.\r\n")
        }
    }

    @Test("POST /process-data stores {count, sum, min, max, mean} on the job", arguments: DatabaseBackend.allCases)
    func processData(backend: DatabaseBackend) async throws {
        try await withTestApp(backend: backend) { client, _, _ in
            let auth = try await Self.bearer(client)
            let reply = try await client.send(.post, "/process-data", body: #"{"items":[4, 1.5, -2, 10]}"#, headers: auth)
            #expect(reply.status == .accepted)
            #expect(reply.body.keys.sorted() == ["job_id"])
            let id = try #require(reply.body["job_id"] as? Int)
            let job = try await Self.waitForJob(client, id, auth: auth, until: ["succeeded", "dead"])
            #expect(job["state"] as? String == "succeeded")
            let result = try #require(job["result"] as? [String: Any])
            #expect(result["count"] as? Int == 4)
            #expect(result["sum"] as? Double == 13.5)
            #expect(result["min"] as? Int == -2)
            #expect(result["max"] as? Int == 10)
            #expect(result["mean"] as? Double == 3.375)
        }
    }

    @Test("the job routes need a token, validate their bodies, and show a job only to its owner", arguments: DatabaseBackend.allCases)
    func authValidationAndOwnership(backend: DatabaseBackend) async throws {
        try await withTestApp(backend: backend) { client, _, _ in
            for (path, body) in [("/send-email", Self.email), ("/process-data", #"{"items":[1]}"#)] {
                let anonymous = try await client.send(.post, path, body: body)
                #expect(anonymous.status == .unauthorized)
                #expect(anonymous.headers[.wwwAuthenticate] == "Bearer")
            }
            #expect(try await client.send(.get, "/jobs/1").status == .unauthorized)

            let auth = try await Self.bearer(client)
            let badEmail = try await client.send(.post, "/send-email", body: #"{"to":"nobody","subject":"","cc":"x"}"#, headers: auth)
            #expect(badEmail.status == .unprocessableContent)
            #expect(badEmail.details == [
                "to": "must be a valid email address", "subject": "must be at least 1 characters", "body": "is required",
                "cc": "is not a known field",
            ])
            let tooMany = "[" + Array(repeating: "1", count: 10_001).joined(separator: ",") + "]"
            for (items, problem) in [
                ("[]", "must have at least 1 items"), (tooMany, "must have at most 10000 items"),
                (#"[1,"2"]"#, "must contain only numbers"), (#""1,2""#, "must be an array of numbers"),
            ] {
                let reply = try await client.send(.post, "/process-data", body: #"{"items":\#(items)}"#, headers: auth)
                #expect(reply.status == .unprocessableContent)
                #expect(reply.details == ["items": problem])
            }
            #expect(try await client.send(.post, "/process-data", body: #"{"items":[1,"#, headers: auth).status == .badRequest)
            #expect(try await client.send(.post, "/process-data", body: #"{"items":[1]}"#, contentType: "text/plain", headers: auth).status == .unsupportedMediaType)

            let mine = try #require(try await client.send(.post, "/process-data", body: #"{"items":[1]}"#, headers: auth).body["job_id"] as? Int)
            #expect(try await client.send(.get, "/jobs/\(mine)", headers: auth).status == .ok)
            let other = try await Self.bearer(client, "someone")
            for uri in ["/jobs/\(mine)", "/jobs/999999", "/jobs/0", "/jobs/abc"] {
                let reply = try await client.send(.get, uri, headers: other)
                #expect(reply.status == .notFound, "\(uri)")
                #expect(reply.body["error"] as? String == "NotFound")
            }
        }
    }

    @Test("an Idempotency-Key returns the first job; reused for another body it is a 409", arguments: DatabaseBackend.allCases)
    func idempotencyKey(backend: DatabaseBackend) async throws {
        try await withTestApp(backend: backend) { client, _, _ in
            var auth = try await Self.bearer(client)
            auth[HTTPField.Name("Idempotency-Key")!] = "report-2026-11"
            let first = try await client.send(.post, "/process-data", body: #"{"items":[1,2]}"#, headers: auth)
            let again = try await client.send(.post, "/process-data", body: #"{"items":[1,2]}"#, headers: auth)
            #expect(first.status == .accepted && again.status == .accepted)
            #expect(first.body["job_id"] as? Int == again.body["job_id"] as? Int)
            let changed = try await client.send(.post, "/process-data", body: #"{"items":[3]}"#, headers: auth)
            #expect(changed.status == .conflict)
            #expect(changed.details == ["Idempotency-Key": "was used for another request"])
            auth[HTTPField.Name("Idempotency-Key")!] = "has space"
            let invalid = try await client.send(.post, "/process-data", body: #"{"items":[1,2]}"#, headers: auth)
            #expect(invalid.status == .unprocessableContent)
            #expect(invalid.details == ["Idempotency-Key": "must be 1 to 255 printable ASCII characters"])
        }
    }

    @Test("a send_email whose sendmail fails is retried, then dead with the program's status", arguments: DatabaseBackend.allCases)
    func failingSendmailRetriesThenDies(backend: DatabaseBackend) async throws {
        try await withTemporaryDirectory { scripts in
            let sendmail = try scripts.write("sendmail", "#!/bin/sh\necho \"mail server said no to $5\" >&2\nexit 75\n", mode: 0o755)
            let overrides = ["mail.transport": "sendmail", "mail.sendmail_path": sendmail, "jobs.max_attempts": "3", "log.format": "json"]
            try await withTestApp(backend: backend, overrides: overrides) { client, _, capture in
                let auth = try await Self.bearer(client)
                let id = try #require(try await client.send(.post, "/send-email", body: Self.email, headers: auth).body["job_id"] as? Int)
                let job = try await Self.waitForJob(client, id, auth: auth, until: ["dead", "succeeded"])
                #expect(job["state"] as? String == "dead")
                #expect(job["attempts"] as? Int == 3)
                #expect(job["error"] as? String == "sendmail exited with status 75: mail server said no to rae@example.com")
                #expect(job["result"] is NSNull)
                // The runner logs the outcome after committing it, so the last line may trail the state.
                var messages: [String] = []
                for _ in 0..<200 where !messages.contains("job failed; it is dead") {
                    messages = capture.records.filter { $0["job_id"] as? String == "\(id)" }.compactMap { $0["msg"] as? String }
                    if !messages.contains("job failed; it is dead") { try await Task.sleep(for: .milliseconds(25)) }
                }
                #expect(messages.filter { $0 == "job failed; will retry" }.count == 2)
                #expect(messages.filter { $0 == "job failed; it is dead" }.count == 1)
            }
        }
    }

    @Test("sendmail gets the message on standard input with the sender and the recipient as arguments")
    func sendmailDelivers() async throws {
        try await withTemporaryDirectory { scripts in
            let sendmail = try scripts.write("sendmail", "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$(dirname \"$0\")/args\"\ncat > \"$(dirname \"$0\")/message\"\n", mode: 0o755)
            let overrides = ["mail.transport": "sendmail", "mail.sendmail_path": sendmail, "mail.from": "reports@example.org"]
            try await withTestApp(overrides: overrides) { client, _, _ in
                let auth = try await Self.bearer(client)
                let id = try #require(try await client.send(.post, "/send-email", body: Self.email, headers: auth).body["job_id"] as? Int)
                let job = try await Self.waitForJob(client, id, auth: auth, until: ["dead", "succeeded"])
                #expect(job["state"] as? String == "succeeded")
            }
            #expect(try String(contentsOfFile: scripts.path + "/args", encoding: .utf8) == "-i\n-f\nreports@example.org\n--\nrae@example.com\n")
            let message = try String(contentsOfFile: scripts.path + "/message", encoding: .utf8)
            #expect(message.hasPrefix("From: reports@example.org\nTo: rae@example.com\n"))
            #expect(message.hasSuffix("\n\nHello,\nthe report is ready.\n"))
            #expect(!message.contains("\r"))
        }
    }
}

extension Array where Element == String {
    /// The two halves of a split in two.
    var splitPair: (String, String)? { count == 2 ? (self[0], self[1]) : nil }
}
