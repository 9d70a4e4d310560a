import Foundation
import Logging
import PortcullisPlatform
import TestSupport
import Testing

@Suite struct StructuredLogHandlerTests {
    func logger(_ format: LogFormat, capture: LogCapture, secrets: [String] = [], worker: Int? = nil) -> Logger {
        Logger(label: "portcullis.test") { label in
            StructuredLogHandler(label: label, format: format, level: .debug, sink: capture, redactor: LogRedactor(secrets: secrets), worker: worker)
        }
    }

    @Test func jsonLinesCarryTheFieldsOfSpecSection6() throws {
        let capture = LogCapture()
        var log = logger(.json, capture: capture, worker: 2)
        log[metadataKey: "request_id"] = "req-1"
        log.info("hello \"world\"\n", metadata: ["status": .stringConvertible(200), "path": "/x"])
        #expect(capture.all.count == 1)
        #expect(capture.all[0].hasSuffix("}\n"))
        let record = try #require(capture.records.first)
        #expect(record["level"] as? String == "info")
        #expect(record["msg"] as? String == "hello \"world\"\n")
        #expect(record["logger"] as? String == "portcullis.test")
        #expect(record["pid"] as? Int == Int(getpid()))
        #expect(record["worker"] as? Int == 2)
        #expect(record["request_id"] as? String == "req-1")
        #expect(record["status"] as? Int == 200)
        #expect(record["path"] as? String == "/x")
        let ts = try #require(record["ts"] as? String)
        #expect(ts.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil)
    }

    @Test func aFieldNamedLikeAReservedKeyCannotDuplicateIt() throws {
        let capture = LogCapture()
        logger(.json, capture: capture, worker: 1).info("x", metadata: ["pid": "1", "worker": "9", "level": "fake"])
        let line = try #require(capture.all.first)
        #expect(line.components(separatedBy: "\"pid\":").count == 2)
        #expect(line.components(separatedBy: "\"worker\":").count == 2)
        #expect(capture.records.first?["level"] as? String == "info")
        #expect(capture.records.first?["worker"] as? Int == 1)
    }

    @Test func theMasterLogsWithoutAWorkerField() throws {
        let capture = LogCapture()
        logger(.json, capture: capture).notice("master")
        let record = try #require(capture.records.first)
        #expect(record["worker"] == nil)
    }

    @Test func credentialsNeverReachTheLog() {
        let capture = LogCapture()
        let secret = "jwt-signing-key-0123456789abcdef0123"
        for format in [LogFormat.json, .text] {
            let log = logger(format, capture: capture, secrets: [secret])
            log.info("login for alice with \(secret)", metadata: [
                "password": "correct horse battery staple",
                "authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc",
                "Cookie": "session=deadbeefcafe",
                "access_token": "tok-123456789",
                "nested": .dictionary(["api_key": "key-987654321", "note": .string("carries \(secret)")]),
                "list": .array(["fine", .string("also \(secret)")]),
                "described": .stringConvertible(URL(string: "https://example.com/?k=\(secret)")!),
                "X-Refresh-TOKEN": "refresh-555666777",
            ])
        }
        let text = capture.text
        for leaked in [secret, "correct horse", "eyJhbGciOiJIUzI1NiJ9", "deadbeefcafe", "tok-123456789", "key-987654321", "refresh-555666777"] {
            #expect(!text.contains(leaked), "\(leaked) reached the log")
        }
        #expect(text.contains("<redacted>"))
        #expect(text.contains("fine"), "a clean item of a list that held a secret is kept")
    }

    @Test func fieldsWithoutSecretsAreWrittenUnchanged() throws {
        let capture = LogCapture()
        logger(.json, capture: capture, secrets: ["jwt-signing-key-0123456789abcdef0123"]).info("request", metadata: [
            "path": "/users/7", "status": .stringConvertible(404), "duration_ms": .stringConvertible(0.25),
            "tags": .array(["a", "b"]), "user_agent": "curl/8 \"quoted\"\t",
        ])
        let record = try #require(capture.records.first)
        #expect(record["path"] as? String == "/users/7")
        #expect(record["status"] as? Int == 404)
        #expect(record["duration_ms"] as? Double == 0.25)
        #expect(record["tags"] as? [String] == ["a", "b"])
        #expect(record["user_agent"] as? String == "curl/8 \"quoted\"\t")
    }

    @Test func textFormatIsReadable() {
        let capture = LogCapture()
        logger(.text, capture: capture).warning("disk nearly full", metadata: ["free_mb": .stringConvertible(12)])
        #expect(capture.all.first?.contains(" WARNING [portcullis.test] disk nearly full free_mb=12") == true)
    }

    @Test func typedLinesMatchTheGeneralFormatAndScrubSecretValues() throws {
        let secret = "jwt-signing-key-0123456789abcdef0123"
        let fields: [StructuredLogHandler.TypedField] = [
            .init("bytes", .integer(15)), .init("duration_ms", .number(0.25)), .init("path", .text("/x/\(secret)")),
            .init("user_agent", .text("a \"b\"\n\u{1}")),
        ]
        let json = LogCapture()
        StructuredLogHandler(label: "portcullis.access", format: .json, level: .info, sink: json, redactor: LogRedactor(secrets: [secret]), worker: 0)
            .log(level: .info, message: "request", requestID: "req-9", fields: fields)
        let line = try #require(json.all.first)
        #expect(line.hasPrefix("{\"ts\":\""))
        #expect(line.hasSuffix(",\"request_id\":\"req-9\",\"bytes\":15,\"duration_ms\":0.25,\"path\":\"/x/<redacted>\",\"user_agent\":\"a \\\"b\\\"\\n\\u0001\"}\n"))
        let record = try #require(json.records.first)
        #expect(record["logger"] as? String == "portcullis.access")
        #expect(record["worker"] as? Int == 0)
        #expect(record["user_agent"] as? String == "a \"b\"\n\u{1}")

        let text = LogCapture()
        StructuredLogHandler(label: "portcullis.access", format: .text, level: .info, sink: text, redactor: LogRedactor(secrets: [secret]))
            .log(level: .info, message: "request", requestID: "req-9", fields: fields)
        let readable = try #require(text.all.first)
        #expect(readable.contains(" INFO [portcullis.access] request bytes=15 duration_ms=0.25 path=/x/<redacted> request_id=req-9 user_agent="))
        #expect(!readable.contains(secret))
    }

    @Test func aSecretIsFoundWhereverItStartsAndNearMissesStay() throws {
        let secret = "abcabd-signing-key"
        let cases: [(String, String)] = [
            (secret, "<redacted>"), ("\(secret)/tail", "<redacted>/tail"), ("head/\(secret)", "head/<redacted>"),
            ("abcabcabd-signing-key", "abc<redacted>"), ("abcabd-signing-ke", "abcabd-signing-ke"), ("", ""),
            ("a\(secret)a\(secret)", "a<redacted>a<redacted>"),
        ]
        for (path, logged) in cases {
            let capture = LogCapture()
            StructuredLogHandler(label: "portcullis.access", format: .json, level: .info, sink: capture, redactor: LogRedactor(secrets: [secret]))
                .log(level: .info, message: "request", requestID: "r", fields: [.init("path", .text(path))])
            let record = try #require(capture.records.first)
            #expect(record["path"] as? String == logged, "\(path)")
        }
    }
}
