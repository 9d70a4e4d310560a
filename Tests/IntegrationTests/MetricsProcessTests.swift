import AsyncHTTPClient
import Foundation
import TestSupport
import Testing

/// `metrics.listen`: the master's exposition of the whole node, with workers that come and go.
@Suite struct MetricsProcessTests {
    /// One scrape: each series (the text before its value) with its value, and each family's type.
    struct Scrape {
        var values: [String: Double] = [:]
        var types: [String: String] = [:]
        let text: String

        init(_ text: String) {
            self.text = text
            for line in text.split(separator: "\n") {
                if line.hasPrefix("# TYPE ") {
                    let parts = line.split(separator: " ")
                    if parts.count == 4 { types[String(parts[2])] = String(parts[3]) }
                } else if !line.hasPrefix("#"), let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) {
                    values[String(line[..<space])] = value
                }
            }
        }

        /// The sum of a family's series whose labels contain `matching`.
        func sum(_ name: String, matching: String = "") -> Double {
            values.filter { ($0.key == name || $0.key.hasPrefix(name + "{")) && (matching.isEmpty || $0.key.contains(matching)) }.values.reduce(0, +)
        }

        /// The series that only grow: counters and histograms, except the per-process ones,
        /// which end with their process.
        var growing: [String: Double] {
            values.filter { series, _ in
                let family = types.keys.first { series == $0 || series.hasPrefix($0 + "{") || series.hasPrefix($0 + "_") }
                guard let family, !family.hasPrefix("portcullis_process_") else { return false }
                return types[family] == "counter" || types[family] == "histogram"
            }
        }
    }

    static func scrape(_ port: Int) async throws -> Scrape {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(10))
        #expect(response.status == .ok)
        #expect(response.headers.first(name: "Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        return Scrape(String(buffer: try await response.body.collect(upTo: 4 << 20)))
    }

    /// Every counter or histogram series that shrank or vanished from one scrape to the next.
    static func decreases(_ scrapes: [Scrape]) -> [String] {
        var found: [String] = []
        for (before, after) in zip(scrapes, scrapes.dropFirst()) {
            for (series, value) in before.growing where (after.values[series] ?? -1) < value {
                found.append("\(series): \(value) → \(after.values[series].map { "\($0)" } ?? "gone")")
            }
        }
        return found
    }

    @Test func theScrapeCountsEveryRequestAcrossRecyclesAndNoCounterEverGoesBackwards() async throws {
        try await withTemporaryDirectory { directory in
            let metricsPort = try freeLoopbackPort()
            let serve = try ServeProcess(["--listen", "127.0.0.1:0", "--workers", "2"], environment: serveEnvironment(directory, [
                "PORTCULLIS_METRICS_LISTEN": "127.0.0.1:\(metricsPort)",
                "PORTCULLIS_SERVER_MAX_REQUESTS": "25", "PORTCULLIS_SERVER_MAX_REQUESTS_JITTER": "0",
            ]), in: directory.path)
            let port = try await MasterProcessTests.waitUntilReady(serve)
            var scrapes = [try await Self.scrape(metricsPort)]

            // 60 requests: however the kernel spreads them, a worker reaches 25 and recycles.
            #expect(await MasterProcessTests.load(port, count: 60) == 0)
            try await waitUntil("the scrape to count 60 requests to /healthz") {
                try await Self.scrape(metricsPort).sum("portcullis_http_requests_total", matching: #"route="/healthz""#) >= 60
            }
            let counted = try await Self.scrape(metricsPort)
            scrapes.append(counted)
            #expect(counted.sum("portcullis_http_requests_total", matching: #"route="/healthz""#) == 60, "exactly: \(counted.text)")
            #expect(counted.sum("portcullis_http_request_duration_seconds_count", matching: #"route="/healthz""#) == 60)
            #expect(counted.sum("portcullis_worker_exits_total", matching: #"reason="recycled""#) >= 1, "60 > 2 × 24: one worker at least")
            #expect(counted.sum("portcullis_http_connections_accepted_total") >= 60)

            // A worker killed, then a reload, with requests between: totals only grow.
            let victim = try #require(MasterProcessTests.masterMessages(serve.records, "worker serving").last.flatMap { Int32($0["worker_pid"] as? String ?? "") })
            kill(victim, SIGKILL)
            try await MasterProcessTests.waitFor(serve) { !MasterProcessTests.masterMessages($0, "worker died").isEmpty }
            scrapes.append(try await Self.scrape(metricsPort))
            #expect(await MasterProcessTests.load(port, count: 20) == 0)
            scrapes.append(try await Self.scrape(metricsPort))
            serve.signal(SIGHUP)
            try await MasterProcessTests.waitFor(serve) { !MasterProcessTests.masterMessages($0, "reloaded").isEmpty }
            #expect(await MasterProcessTests.load(port, count: 20) == 0)
            try await Task.sleep(for: .milliseconds(1500))
            let last = try await Self.scrape(metricsPort)
            scrapes.append(last)
            #expect(last.sum("portcullis_worker_exits_total", matching: #"reason="crashed""#) == 1)
            #expect(last.sum("portcullis_reloads_total", matching: #"outcome="reloaded""#) == 1)
            #expect(last.sum("portcullis_generation") == 2)
            #expect(last.sum("portcullis_process_resident_memory_bytes", matching: #"process="master""#) > 0)
            #expect(last.sum("portcullis_build_info") == 1)

            // TTIN adds a third worker and TTOU removes one: still nothing goes back.
            serve.signal(SIGTTIN)
            try await waitUntil("a third worker") { HostileClientTests.children(of: serve.pid).count == 3 }
            #expect(await MasterProcessTests.load(port, count: 30) == 0)
            scrapes.append(try await Self.scrape(metricsPort))
            serve.signal(SIGTTOU)
            try await waitUntil("back to two workers") { HostileClientTests.children(of: serve.pid).count == 2 }
            #expect(await MasterProcessTests.load(port, count: 10) == 0)
            try await waitUntil("the master to count two workers again", interval: .milliseconds(100)) {
                try await Self.scrape(metricsPort).values.keys.filter { $0.hasPrefix(#"portcullis_process_start_time_seconds{process="worker""#) }.count == 2
            }
            scrapes.append(try await Self.scrape(metricsPort))

            #expect(Self.decreases(scrapes).isEmpty)
            let check = try await PortcullisBinary.runCommand(
                ["/bin/sh", "-c", "promtool check metrics"], environment: ["PATH": "/usr/bin:/bin"], in: directory.path, input: last.text)
            #expect(check.status == 0, "promtool check metrics: \(check.stdout) \(check.stderr)")
            serve.signal(SIGTERM)
            #expect(try await serve.waitForExit() == 0)
        }
    }

    /// Logins, the database and the job queue on the metrics listener, which is the only
    /// place metrics are served.
    @Test func onlyTheMetricsListenerServesMetricsAndTheyCoverLoginsTheDatabaseAndJobs() async throws {
        try await withTemporaryDirectory { directory in
            let metricsPort = try freeLoopbackPort()
            let serve = try ServeProcess(["--listen", "127.0.0.1:0", "--workers", "1"], environment: serveEnvironment(directory, [
                "PORTCULLIS_METRICS_LISTEN": "127.0.0.1:\(metricsPort)",
            ]), in: directory.path)
            let port = try await MasterProcessTests.waitUntilReady(serve)
            #expect(try await MasterProcessTests.get(port, "/metrics").status == .notFound, "the API never exposes the metrics")
            let signUp = try await DatabaseProcessTests.post(
                port, "/users", #"{"username":"olga","email":"olga@example.com","password":"correct horse battery"}"#)
            #expect(signUp.status == .created)
            let wrong = try await DatabaseProcessTests.post(port, "/auth/login", #"{"username":"olga","password":"wrong password"}"#)
            #expect(wrong.status == .unauthorized)
            let right = try await DatabaseProcessTests.post(port, "/auth/login", #"{"username":"olga","password":"correct horse battery"}"#)
            #expect(right.status == .ok)
            try await waitUntil("the scrape to count both logins") {
                try await Self.scrape(metricsPort).sum("portcullis_auth_logins_total") >= 2
            }
            let scrape = try await Self.scrape(metricsPort)
            #expect(scrape.sum("portcullis_auth_logins_total", matching: #"outcome="failure""#) == 1)
            #expect(scrape.sum("portcullis_auth_logins_total", matching: #"outcome="success""#) == 1)
            #expect(scrape.sum("portcullis_db_connection_wait_seconds_count", matching: #"backend="sqlite""#) >= 3)
            #expect(scrape.values["portcullis_jobs_oldest_queued_age_seconds"] == 0, "read from the database at the scrape")
            let other = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(metricsPort)/users"), timeout: .seconds(10))
            #expect(other.status == .notFound)
            serve.signal(SIGTERM)
            #expect(try await serve.waitForExit() == 0)
            // The metrics listener closes as gracefully as the rest: no error line on the way out.
            let errors = serve.records.filter { ["error", "critical"].contains($0["level"] as? String) }
            #expect(errors.isEmpty, "\(errors)")
        }
    }

    /// How WebSockets end, by code and by whom, and the bytes a client that does not read
    /// leaves in the worker's send queues, filled and then given back. The client that hoards
    /// then half-closes with a full receive window is cut 5 s later (the close handshake's
    /// timeout) and counted as 1006: before, the server's close frame waited for room in its
    /// window for ever and the connection was never closed.
    @Test func webSocketClosesByCodeAndTheSendQueuesBytesAreCounted() async throws {
        try await withTemporaryDirectory { directory in
            let metricsPort = try freeLoopbackPort()
            let serve = try ServeProcess(["--listen", "127.0.0.1:0", "--workers", "1"], environment: serveEnvironment(directory, [
                "PORTCULLIS_METRICS_LISTEN": "127.0.0.1:\(metricsPort)",
                "PORTCULLIS_WS_SEND_QUEUE_BYTES": "67108864", "PORTCULLIS_WS_WORKER_QUEUE_BYTES": "134217728",
            ]), in: directory.path)
            let port = try await MasterProcessTests.waitUntilReady(serve)
            let clients = #"queue="ws.worker_queue_bytes",link="clients""#

            let polite = try await WebSocketTestClient.open(port: port, path: "/ws/echo")
            try await polite.sendClose(code: 1000)
            #expect(await polite.nextClose()?.closeCode == 1000)
            let oversized = try await WebSocketTestClient.open(port: port, path: "/ws/echo")
            // Two fragments under the frame limit that make a message over the message limit: the
            // library closes with 1009 and a close handshake. One frame over the limit would be
            // cut by NIO's decoder at once, and under load its reset can beat the close frame.
            let half = Array(repeating: UInt8(ascii: "x"), count: 600_000)
            try await oversized.send(opcode: 0x1, half, fin: false)
            try? await oversized.send(opcode: 0x0, half, fin: true)
            #expect(await oversized.nextClose()?.closeCode == 1009)

            // Twenty 1 MB echoes the client does not read: most wait in the worker's queues.
            let hoarder = try await WebSocketTestClient.open(port: port, path: "/ws/echo", receiveBuffer: 4096)
            let message = String(repeating: "z", count: 1_000_000)
            for index in 0..<20 {
                do {
                    try await hoarder.sendText(message)
                } catch {
                    let said = serve.records.filter { $0["level"] as? String != "info" }.map { "\($0)" }
                    Issue.record("message \(index): \(error); the server's warnings: \(said)")
                    throw error
                }
            }
            try await waitUntil("the queued echoes to show", interval: .milliseconds(100)) { try await Self.scrape(metricsPort).sum("portcullis_queue_bytes", matching: clients) >= 10_000_000 }
            hoarder.disconnect()
            try await waitUntil("the queue to be given back and three closes counted", interval: .milliseconds(100)) {
                let scrape = try await Self.scrape(metricsPort)
                return scrape.sum("portcullis_queue_bytes", matching: clients) == 0 && scrape.sum("portcullis_ws_closes_total") == 3
            }
            let scrape = try await Self.scrape(metricsPort)
            #expect(scrape.sum("portcullis_ws_closes_total", matching: #"code="1000",by="client""#) == 1)
            #expect(scrape.sum("portcullis_ws_closes_total", matching: #"code="1009",by="server""#) == 1)
            #expect(scrape.sum("portcullis_ws_closes_total", matching: #"code="1006",by="none""#) == 1)
            #expect(scrape.sum("portcullis_queue_limit_bytes", matching: clients) == 134_217_728)
            #expect(scrape.sum("portcullis_queue_limit_bytes", matching: #"queue="ws.relay_queue_bytes",link="master""#) == 67_108_864)
            #expect(scrape.sum("portcullis_queue_limit_bytes", matching: #"queue="ws.relay_queue_bytes",link="worker""#) == 67_108_864)
            #expect(scrape.sum("portcullis_ws_sessions_open") == 0)
            serve.signal(SIGTERM)
            #expect(try await serve.waitForExit() == 0)
        }
    }

    @Test func theShippedAlertingRulesPassPromtool() async throws {
        let rules = PackagingTests.root.appendingPathComponent("etc/portcullis/alerts.yaml").path
        let check = try await PortcullisBinary.runCommand(
            ["/usr/bin/promtool", "check", "rules", rules], environment: ["PATH": "/usr/bin:/bin"], in: "/")
        #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
        #expect(check.stdout.contains("SUCCESS: 5 rules found"))
    }
}
