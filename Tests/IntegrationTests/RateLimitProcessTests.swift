import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

/// Rate limits shared by every worker of a node, on the release binary.
@Suite struct RateLimitProcessTests {
    static func withServer(_ yaml: String, workers: Int, _ body: (ServeProcess, Int) async throws -> Void) async throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/wrk"), "wrk (Debian's package) drives the load")
        try await withTemporaryDirectory { directory in
            let file = try directory.write("portcullis.yaml", yaml)
            let serve = try ServeProcess(["--config", file, "--listen", "127.0.0.1:0", "--workers", "\(workers)"],
                                         environment: serveEnvironment(directory), in: directory.path)
            let port = try await MasterProcessTests.waitUntilReady(serve)
            try await body(serve, port)
            serve.signal(SIGTERM)
            #expect(try await serve.waitForExit() == 0)
        }
    }

    /// Drives `GET path` with wrk (16 connections, which the kernel spreads over the workers)
    /// for `seconds`: a load generator of its own, so the demand stays over the limit even when
    /// the whole suite runs beside this test. Returns the 200s and the rest.
    static func hammer(_ port: Int, _ path: String, seconds: Int, in directory: String) async throws -> (ok: Int, limited: Int) {
        let run = try await PortcullisBinary.runCommand(
            ["/usr/bin/wrk", "-t2", "-c16", "-d\(seconds)s", "http://127.0.0.1:\(port)\(path)"], environment: ["PATH": "/usr/bin:/bin"], in: directory)
        let lines = run.stdout.split(separator: "\n")
        let total = lines.first { $0.contains("requests in") }.flatMap { Int($0.split(separator: " ").first ?? "") } ?? 0
        let refused = lines.first { $0.contains("Non-2xx or 3xx responses:") }.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        return (total - refused, refused)
    }

    @Test func aLimitPerClientHoldsWithinTenPercentWhicheverWorkerTheConnectionsReach() async throws {
        try await Self.withServer("""
            limits:
              default: {rate: 5/s, burst: 5, key: client}
            """, workers: 4) { serve, port in
            let result = try await Self.hammer(port, "/openapi.json", seconds: 6, in: "/")
            let expected = 6.0 + 5 * 6
            print("rate limit 5/s burst 5 over 6 s with 4 workers: \(result.ok) admitted (expected \(Int(expected))), \(result.limited) refused")
            #expect(result.limited > 10 * result.ok, "the load is well over the limit")
            #expect(abs(Double(result.ok) - expected) <= 0.1 * expected, "\(result.ok) admitted, \(expected) expected")
            let pids = Set(serve.records.filter { $0["path"] as? String == "/openapi.json" }.compactMap { $0["pid"] as? Int })
            #expect(pids.count >= 2, "the connections reached several workers: \(pids.count)")
            let probe = try await MasterProcessTests.get(port, "/healthz")
            #expect(probe.status == .ok, "probes are never limited")
        }
    }

    @Test func aRefusalIs429RateLimitedWithRetryAfterAndTheRateLimitHeaders() async throws {
        try await Self.withServer("""
            limits:
              default: {rate: 1/min, burst: 2}
            """, workers: 2) { _, port in
            for remaining in [2, 1, 0] {
                let admitted = try await MasterProcessTests.get(port, "/openapi.json")
                #expect(admitted.status == .ok)
                #expect(admitted.headers.first(name: "RateLimit-Policy") == #""default";q=3;w=180"#)
                #expect(admitted.headers.first(name: "RateLimit")?.hasPrefix(#""default";r=\#(remaining);t="#) == true)
            }
            let refused = try await MasterProcessTests.get(port, "/openapi.json")
            #expect(refused.status == .tooManyRequests)
            let seconds = Int(refused.headers.first(name: "Retry-After") ?? "") ?? 0
            #expect((55...60).contains(seconds), "\(seconds)")
            #expect(refused.headers.first(name: "RateLimit") == #""default";r=0;t=\#(seconds)"#)
            let body = try JSONSerialization.jsonObject(with: Data(buffer: try await refused.body.collect(upTo: 1 << 16))) as? [String: Any]
            #expect(body?["error"] as? String == "RateLimited")
            #expect((body?["details"] as? [String: Any])?["retry_after"] as? Int == seconds)
        }
    }

    @Test func dryRunRefusesNothingButCountsAndLogsWhatItWould() async throws {
        let metricsPort = try freeLoopbackPort()
        try await withTemporaryDirectory { directory in
            let file = try directory.write("portcullis.yaml", """
                limits:
                  default: {rate: 1/min, burst: 0}
                  dry_run: true
                metrics:
                  listen: 127.0.0.1:\(metricsPort)
                """)
            let serve = try ServeProcess(["--config", file, "--listen", "127.0.0.1:0", "--workers", "1"],
                                         environment: serveEnvironment(directory), in: directory.path)
            let port = try await MasterProcessTests.waitUntilReady(serve)
            for _ in 0..<5 { #expect(try await MasterProcessTests.get(port, "/openapi.json").status == .ok) }
            try await waitUntil("the dry run's line") { serve.records.contains { $0["msg"] as? String == "rate limit exceeded (dry run: not refused)" } }
            try await waitUntil("the dry run's count", interval: .milliseconds(100)) {
                try await MetricsProcessTests.scrape(metricsPort).sum("portcullis_ratelimit_total", matching: #"outcome="would_refuse""#) == 4
            }
            let check = try await PortcullisBinary.runCommand(
                ["/bin/sh", "-c", "promtool check metrics"], environment: ["PATH": "/usr/bin:/bin"], in: directory.path,
                input: try await MetricsProcessTests.scrape(metricsPort).text)
            #expect(check.status == 0, "promtool check metrics: \(check.stdout) \(check.stderr)")
            serve.signal(SIGTERM)
            #expect(try await serve.waitForExit() == 0)
        }
    }

    @Test func aRouteLimitKeyedByUserFollowsTheTokenAndDelayPacesTheBurst() async throws {
        try await TestUpstream.with("a") { upstream in
            try await GatewayProcessTests.withGateway("""
                    - prefix: /paced/
                      upstreams: [http://127.0.0.1:\(upstream.port)]
                      strip_prefix: true
                      rate_limit: {rate: 5/s, burst: 4, key: user, delay: true}
                    - prefix: /strict/
                      upstreams: [http://127.0.0.1:\(upstream.port)]
                      strip_prefix: true
                      rate_limit: {rate: 1/min, burst: 1, key: user}
                """, workers: 2) { _, port, olga in
                let clock = ContinuousClock()
                let started = clock.now
                for _ in 0..<10 {
                    #expect(try await GatewayProcessTests.request(port, "/paced/status/200", headers: [("Authorization", "Bearer \(olga)")]).status == .ok)
                }
                let elapsed = clock.now - started
                #expect(elapsed >= .milliseconds(900), "the 5 past the burst of 4 wait their turn at 5/s, none is refused: \(elapsed)")

                let bob = try await ForwardAuthTests.signUp(port, "bob")
                let statuses = try await [olga, olga, olga, bob].asyncMap { token in
                    try await GatewayProcessTests.request(port, "/strict/status/200", headers: [("Authorization", "Bearer \(token)")]).status
                }
                #expect(statuses == [.ok, .ok, .tooManyRequests, .ok], "bob has a bucket of his own though he shares olga's address")
            }
        }
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
