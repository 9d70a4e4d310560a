import AsyncHTTPClient
import Foundation
import TestSupport
import Testing

/// `portcullis serve` as a child process on a free loopback port.
@Suite struct ServeProcessTests {
    @Test func serveAnswersWithTheHeaderSetAndExitsZeroOnSIGTERM() async throws {
        try await withTemporaryDirectory { directory in
            let serve = try ServeProcess(["--listen", "127.0.0.1:0"], environment: serveEnvironment(directory), in: directory.path)
            let port = try await serve.waitForPort()
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz")
            request.headers.add(name: "X-Request-ID", value: "live-test-1")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            #expect(response.status == .ok)
            #expect(String(buffer: try await response.body.collect(upTo: 1024)) == #"{"status":"ok"}"#)
            for (name, value) in [
                ("X-Request-ID", "live-test-1"), ("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                ("Referrer-Policy", "no-referrer"), ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
                ("Cross-Origin-Opener-Policy", "same-origin"), ("Cross-Origin-Resource-Policy", "same-origin"),
                ("X-XSS-Protection", "0"), ("Cache-Control", "no-store"), ("Content-Type", "application/json; charset=utf-8"),
            ] {
                #expect(response.headers.first(name: name) == value, "\(name)")
            }
            #expect(response.headers.first(name: "Server") == nil)
            #expect(response.headers.first(name: "Date") != nil)
            #expect(FileManager.default.fileExists(atPath: directory.path + "/state"), "the start-up hook creates the state directory")

            serve.signal(SIGTERM)
            #expect(try await serve.waitForExit() == 0)
            let messages = serve.records.compactMap { $0["msg"] as? String }
            #expect(messages.contains("draining"))
            #expect(messages.last == "stopped")
            let access = serve.records.filter { $0["logger"] as? String == "portcullis.access" }
            #expect(access.count == 1)
            #expect(access.first?["request_id"] as? String == "live-test-1")
            #expect(access.first?["client"] as? String == "127.0.0.1")
        }
    }

    @Test func gzipIsNegotiatedAndDecodesWithAnIndependentClient() async throws {
        try await withTemporaryDirectory { directory in
            let serve = try ServeProcess(["--listen", "127.0.0.1:0"], environment: serveEnvironment(directory, [
                "PORTCULLIS_SERVER_COMPRESSION_MIN_BYTES": "1",
            ]), in: directory.path)
            let port = try await serve.waitForPort()
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(decompression: .enabled(limit: .ratio(100))))
            do {
                try await Self.expectEncodings(client: client, port: port)
            } catch {
                try await client.shutdown()
                throw error
            }
            try await client.shutdown()
            serve.signal(SIGTERM)
            #expect(try await serve.waitForExit() == 0)
        }
    }

    /// gzip and deflate come back encoded, and AsyncHTTPClient (NIO's zlib decoder) decodes them.
    private static func expectEncodings(client: HTTPClient, port: Int) async throws {
        for (accept, coding) in [("gzip, br", "gzip"), ("deflate", "deflate"), ("br", nil)] as [(String, String?)] {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz")
            request.headers.add(name: "Accept-Encoding", value: accept)
            let response = try await client.execute(request, timeout: .seconds(10))
            #expect(response.status == .ok)
            #expect(response.headers.first(name: "Content-Encoding") == coding, "\(accept)")
            #expect(response.headers.first(name: "Vary") == "Accept-Encoding")
            #expect(String(buffer: try await response.body.collect(upTo: 1024)) == #"{"status":"ok"}"#)
        }
    }

    @Test func aFailingStartupHookEndsTheMasterBeforeAnyWorkerStarts() async throws {
        try await withTemporaryDirectory { directory in
            let blocker = try directory.write("not-a-directory", "")
            let serve = try ServeProcess(["--listen", "127.0.0.1:0"], environment: serveEnvironment(directory, [
                "PORTCULLIS_SERVER_STATE_DIR": blocker + "/state",
            ]), in: directory.path)
            #expect(try await serve.waitForExit() == 1)
            let critical = serve.records.filter { $0["level"] as? String == "critical" }
            #expect(critical.count == 1)
            #expect((critical.first?["error"] as? String)?.contains("start-up hook \"state directory\" failed") == true)
            #expect(!serve.records.contains { $0["msg"] as? String == "worker started" })
        }
    }

    @Test func sigquitStopsAtOnceWithExitZero() async throws {
        try await withTemporaryDirectory { directory in
            let serve = try ServeProcess(["--listen", "127.0.0.1:0"], environment: serveEnvironment(directory), in: directory.path)
            _ = try await serve.waitForPort()
            serve.signal(SIGQUIT)
            #expect(try await serve.waitForExit() == 0)
            #expect(serve.records.contains { $0["msg"] as? String == "stopping immediately" && $0["logger"] as? String == "portcullis.master" })
        }
    }

    @Test func anInvalidProductionConfigurationExits78ListingEveryProblem() async throws {
        try await withTemporaryDirectory { directory in
            let serve = try ServeProcess(["--listen", "127.0.0.1:99999", "--workers", "0"], environment: serveEnvironment(directory, [
                "PORTCULLIS_PROFILE": "production",
                "PORTCULLIS_CORS_ORIGINS": "*",
                "PORTCULLIS_SECURITY_SECRET_KEY": "short",
            ]), in: directory.path)
            #expect(try await serve.waitForExit() == 78)
            let stderr = serve.stderrLines.joined(separator: "\n")
            for line in [
                "error: server.listen (flag):", "error: server.workers (flag): must be between 1 and 512, got 0",
                "error: cors.origins (env):", "error: security.secret_key (env): is 5 bytes long",
                "error: security.jwt_secret_key (default): is the development default",
            ] {
                #expect(stderr.contains(line), "missing \(line) in:\n\(stderr)")
            }
            #expect(!stderr.contains("short\n"), "a secret's value was printed")
        }
    }

    @Test func aListenerThatCannotBeBoundExits1WithOneClearLine() async throws {
        try await withTemporaryDirectory { directory in
            let first = try ServeProcess(["--listen", "127.0.0.1:0"], environment: serveEnvironment(directory), in: directory.path)
            let port = try await first.waitForPort()
            let second = try ServeProcess(["--listen", "127.0.0.1:\(port)"], environment: serveEnvironment(directory), in: directory.path)
            #expect(try await second.waitForExit() == 1)
            let critical = second.records.filter { $0["level"] as? String == "critical" }
            #expect(critical.count == 1)
            #expect((critical.first?["error"] as? String)?.contains("cannot listen on 127.0.0.1:\(port)") == true)
            first.signal(SIGTERM)
            #expect(try await first.waitForExit() == 0)
        }
    }
}
