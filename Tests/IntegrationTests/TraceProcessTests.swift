import Foundation
import TestSupport
import Testing

/// W3C trace context through the built binary: from a request's `traceparent` to its access
/// line, the job it queued and that job's log lines.
@Suite struct TraceProcessTests {
    /// One trace ID from the request to the job it queued: the access line, the runner's lines
    /// and the job row carry the `traceparent`'s; a request without one starts its own.
    @Test(arguments: DatabaseBackend.allCases)
    func aTraceIDFollowsARequestIntoTheJobItQueued(backend: DatabaseBackend) async throws {
        try await withTemporaryDirectory { directory in
            try await TestDatabase.with(backend, in: directory) { database in
                let serve = try ServeProcess(
                    ["--listen", "127.0.0.1:0", "--workers", "1"], environment: DatabaseProcessTests.environment(directory, database), in: directory.path)
                let port = try await MasterProcessTests.waitUntilReady(serve)
                let token = try await JobProcessTests.token(port)
                let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
                let queued = try await DatabaseProcessTests.post(port, "/process-data", #"{"items":[1,2,3]}"#, headers: [
                    ("Authorization", token), ("traceparent", "00-\(traceID)-00f067aa0ba902b7-01"), ("X-Request-ID", "traced-request"),
                ])
                #expect(queued.status == .accepted)
                let body = try await queued.body.collect(upTo: 1 << 16)
                let id = try #require((try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])?["job_id"] as? Int)
                let job = try await JobProcessTests.waitForAll(port, [id], token: token)[id]
                #expect(job?["state"] as? String == "succeeded")
                #expect(job?["trace_id"] as? String == traceID, "the job row")
                let access = serve.records.filter { $0["logger"] as? String == "portcullis.access" && $0["request_id"] as? String == "traced-request" }
                #expect(access.map { $0["trace_id"] as? String } == [traceID], "the access line")
                let jobLines = serve.records.filter { ($0["job_id"] as? String) == "\(id)" }
                #expect(jobLines.count >= 2 && jobLines.allSatisfy { $0["trace_id"] as? String == traceID }, "the runner's lines: \(jobLines)")

                _ = try await MasterProcessTests.get(port, "/healthz", headers: [("X-Request-ID", "untraced"), ("traceparent", "00-zz-bad")])
                try await MasterProcessTests.waitFor(serve) { records in records.contains { $0["request_id"] as? String == "untraced" } }
                let started = serve.records.first { $0["request_id"] as? String == "untraced" }?["trace_id"] as? String
                #expect(started?.count == 32 && started != traceID && started != String(repeating: "0", count: 32), "a new trace: \(started ?? "none")")
                serve.signal(SIGTERM)
                #expect(try await serve.waitForExit() == 0)
            }
        }
    }
}
