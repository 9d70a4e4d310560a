import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

/// `gateway.routes` on the release binary, in front of real upstream servers (``TestUpstream``):
/// identity, headers, paths, errors, balancing, passive health, streaming and limits.
@Suite struct GatewayProcessTests {
    /// Starts one worker with `routes` (the YAML list under `gateway.routes`) and a user `olga`;
    /// `body` gets the server, its port and her token.
    static func withGateway(
        _ routes: String, workers: Int = 1, extra: [String: String] = [:], _ body: (ServeProcess, Int, String) async throws -> Void
    ) async throws {
        try await withTemporaryDirectory { directory in
            let file = try directory.write("portcullis.yaml", "gateway:\n  routes:\n" + routes)
            let serve = try ServeProcess(["--config", file, "--listen", "127.0.0.1:0", "--workers", "\(workers)"], environment: serveEnvironment(directory, [
                "PORTCULLIS_SECURITY_PASSWORD_HASH_COST": "10",
            ].merging(extra) { $1 }), in: directory.path)
            let port = try await MasterProcessTests.waitUntilReady(serve)
            try await body(serve, port, try await ForwardAuthTests.signUp(port, "olga"))
            serve.signal(SIGTERM)
            #expect(try await serve.waitForExit() == 0)
        }
    }

    static func request(
        _ port: Int, _ path: String, method: HTTPMethod = .GET, headers: [(String, String)] = [], body: HTTPClientRequest.Body? = nil
    ) async throws -> (status: HTTPResponseStatus, headers: HTTPHeaders, body: String) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = body }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        return (response.status, response.headers, String(buffer: try await response.body.collect(upTo: 1 << 24)))
    }

    static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    @Test func aTokenRouteSendsTheIdentityTheForwardingHeadersAndTheTraceAndDropsHopByHopOnes() async throws {
        try await TestUpstream.with("a") { upstream in
            try await Self.withGateway("""
                    - prefix: /svc/
                      upstreams: [http://127.0.0.1:\(upstream.port)/echo]
                      strip_prefix: true
                """) { serve, port, token in
                let anonymous = try await Self.request(port, "/svc/orders")
                #expect(anonymous.status == .unauthorized)
                #expect(anonymous.headers.first(name: "WWW-Authenticate") == "Bearer")
                #expect(Self.json(anonymous.body)["error"] as? String == "Unauthorized")
                #expect(upstream.paths.isEmpty, "a request without a token never reaches the upstream")

                let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
                let answer = try await Self.request(port, "/svc/orders/7?sort=asc", headers: [
                    ("Authorization", "Bearer \(token)"), ("X-Auth-Request-User", "mallory"), ("X-Auth-Request-Email", "m@evil"),
                    ("Connection", "X-Private"), ("X-Private", "secret"), ("Keep-Alive", "timeout=5"), ("X-Forwarded-For", "6.6.6.6"),
                    ("X-Request-ID", "gw-1"), ("traceparent", traceparent), ("X-Custom", "kept"),
                ])
                #expect(answer.status == .ok)
                let echo = Self.json(answer.body)
                let headers = echo["headers"] as? [String: String] ?? [:]
                #expect(echo["path"] as? String == "/echo/orders/7", "the prefix stripped, the upstream's base path added")
                #expect(echo["query"] as? String == "sort=asc")
                #expect(headers["x-auth-request-user"] == "olga")
                #expect(headers["x-auth-request-user-id"] == "1")
                #expect(headers["x-auth-request-email"] == "olga@example.com")
                #expect(headers["x-private"] == nil, "named in Connection: hop by hop")
                #expect(headers["keep-alive"] == nil)
                #expect(headers["x-forwarded-for"] == "127.0.0.1", "the client as Portcullis resolved it, not what it claimed")
                #expect(headers["x-forwarded-proto"] == "http")
                #expect(headers["x-forwarded-host"] == "127.0.0.1:\(port)")
                #expect(headers["x-request-id"] == "gw-1")
                #expect(headers["traceparent"]?.hasPrefix("00-4bf92f3577b34da6a3ce929d0e0e4736-") == true, "the same trace")
                #expect(headers["traceparent"] != traceparent, "our own span")
                #expect(headers["x-custom"] == "kept")
                #expect(headers["authorization"] == "Bearer \(token)", "end to end: the upstream may check it too")

                try await waitUntil("the access line") { serve.records.contains { $0["request_id"] as? String == "gw-1" } }
                let line = try #require(serve.records.first { $0["request_id"] as? String == "gw-1" })
                #expect(line["upstream"] as? String == "http://127.0.0.1:\(upstream.port)/echo")
                #expect(line["upstream_status"] as? Int == 200)
                #expect(line["upstream_ms"] is Double)
                #expect(line["status"] as? Int == 200)
                #expect(line["path"] as? String == "/svc/orders/7")
            }
        }
    }

    @Test func forwardedStyleAndLeastOutstandingBalance() async throws {
        try await TestUpstream.with("a", "b") { a, b in
            try await Self.withGateway("""
                    - prefix: /lo/
                      upstreams: [http://127.0.0.1:\(a.port), http://127.0.0.1:\(b.port)]
                      auth: none
                      strip_prefix: true
                      balance: least_outstanding
                """, extra: ["PORTCULLIS_SERVER_FORWARDED_HEADER": "forwarded"]) { _, port, _ in
                let echo = Self.json(try await Self.request(port, "/lo/echo").body)
                let headers = echo["headers"] as? [String: String] ?? [:]
                #expect(headers["forwarded"] == #"for=127.0.0.1;proto=http;host="127.0.0.1:\#(port)""#)
                #expect(headers["x-forwarded-for"] == nil && headers["x-forwarded-proto"] == nil)

                let slow = Task { try await Self.request(port, "/lo/slow") }
                try await waitUntil("the slow request to reach an upstream") { a.paths.contains("/slow") || b.paths.contains("/slow") }
                let busy = a.paths.contains("/slow") ? "a" : "b"
                for _ in 0..<3 {
                    let answer = Self.json(try await Self.request(port, "/lo/echo").body)
                    #expect(answer["upstream"] as? String != busy, "the upstream with a request outstanding is passed over")
                }
                #expect(try await slow.value.status == .ok)
            }
        }
    }

    @Test func aUnixSocketUpstreamAndARouteWideLimit() async throws {
        try await withTemporaryDirectory { sockets in
            try await TestUpstream.with("unix", socket: sockets.path + "/svc.sock") { upstream in
                try await Self.withGateway("""
                        - prefix: /local/
                          upstreams: [unix:\(sockets.path)/svc.sock]
                          auth: none
                          strip_prefix: true
                          rate_limit: {rate: 1/min, burst: 2, key: route}
                    """) { _, port, _ in
                    let echo = try await Self.request(port, "/local/echo/a?b=c", headers: [("X-Forwarded-For", "10.0.0.1")])
                    #expect(echo.status == .ok)
                    #expect(Self.json(echo.body)["path"] as? String == "/echo/a")
                    #expect(Self.json(echo.body)["query"] as? String == "b=c")
                    // key: route counts everyone together: the third request overall is the last one admitted.
                    #expect(try await Self.request(port, "/local/status/200").status == .ok)
                    #expect(try await Self.request(port, "/local/status/200").status == .ok)
                    let refused = try await Self.request(port, "/local/status/200")
                    #expect(refused.status == .tooManyRequests)
                    #expect(refused.headers.first(name: "RateLimit-Policy") == #""/local/";q=3;w=180"#)
                }
            }
        }
    }

    @Test func failuresAre502TimeoutsAre504AndNoUpstreamLeftIs503() async throws {
        try await TestUpstream.with("a") { upstream in
            let closed = try freeLoopbackPort()
            let metricsPort = try freeLoopbackPort()
            try await Self.withGateway("""
                    - prefix: /dead/
                      upstreams: [http://127.0.0.1:\(closed)]
                      auth: none
                      max_fails: 2
                      fail_timeout: 60
                    - prefix: /slow/
                      upstreams: [http://127.0.0.1:\(upstream.port)]
                      auth: none
                      strip_prefix: true
                      timeouts: {response: 1}
                """, extra: ["PORTCULLIS_METRICS_LISTEN": "127.0.0.1:\(metricsPort)"]) { _, port, _ in
                let first = try await Self.request(port, "/dead/x")
                #expect(first.status == .badGateway)
                #expect(Self.json(first.body)["error"] as? String == "BadGateway")
                #expect(try await Self.request(port, "/dead/x").status == .badGateway)
                let out = try await Self.request(port, "/dead/x")
                #expect(out.status == .serviceUnavailable, "two failures in a row: out for fail_timeout")
                #expect(Self.json(out.body)["error"] as? String == "ServiceUnavailable")
                #expect(out.headers.first(name: "Retry-After") == "1")

                let slow = try await Self.request(port, "/slow/slow")
                #expect(slow.status == .gatewayTimeout)
                #expect(Self.json(slow.body)["error"] as? String == "GatewayTimeout")
                #expect(try await Self.request(port, "/slow/status/503").status == .serviceUnavailable, "an upstream's own status passes through")

                let dead = "http://127.0.0.1:\(closed)"
                let live = "http://127.0.0.1:\(upstream.port)"
                let expected: [(String, String, Double)] = [
                    ("portcullis_upstream_responses_total", #"route="/dead/",upstream="\#(dead)",outcome="unreachable""#, 2),
                    ("portcullis_upstream_ejections_total", #"route="/dead/",upstream="\#(dead)",reason="passive""#, 1),
                    ("portcullis_upstream_responses_total", #"route="/slow/",upstream="\#(live)",outcome="timeout""#, 1),
                    ("portcullis_upstream_responses_total", #"route="/slow/",upstream="\#(live)",outcome="5xx""#, 1),
                    ("portcullis_upstream_response_seconds_count", #"route="/slow/",upstream="\#(live)""#, 1),
                ]
                try await waitUntil("the upstream metrics in the scrape", interval: .milliseconds(200)) {
                    let scrape = try await MetricsProcessTests.scrape(metricsPort)
                    return expected.allSatisfy { scrape.sum($0.0, matching: $0.1) == $0.2 }
                }
                let scrape = try await MetricsProcessTests.scrape(metricsPort)
                for (family, labels, value) in expected { #expect(scrape.sum(family, matching: labels) == value, "\(family){\(labels)}") }
                let check = try await PortcullisBinary.runCommand(
                    ["/bin/sh", "-c", "promtool check metrics"], environment: ["PATH": "/usr/bin:/bin"], in: "/", input: scrape.text)
                #expect(check.status == 0, "promtool check metrics: \(check.stdout) \(check.stderr)")
            }
        }
    }

    @Test func roundRobinPassiveHealthAndRetriesOnAnotherUpstream() async throws {
        try await TestUpstream.with("a", "b") { a, b in
            let closed = try freeLoopbackPort()
            try await Self.withGateway("""
                    - prefix: /rr/
                      upstreams: [http://127.0.0.1:\(a.port)/echo, http://127.0.0.1:\(b.port)/echo]
                      auth: none
                      strip_prefix: true
                    - prefix: /failing/
                      upstreams: [http://127.0.0.1:\(a.port), http://127.0.0.1:\(b.port)]
                      auth: none
                      strip_prefix: true
                      max_fails: 1
                      fail_timeout: 60
                    - prefix: /retry/
                      upstreams: [http://127.0.0.1:\(closed), http://127.0.0.1:\(a.port)/echo]
                      auth: none
                      strip_prefix: true
                      max_fails: 100
                """) { serve, port, _ in
                var answered: [String] = []
                for _ in 0..<6 { answered.append(Self.json(try await Self.request(port, "/rr/x").body)["upstream"] as? String ?? "?") }
                #expect(answered.sorted() == ["a", "a", "a", "b", "b", "b"], "\(answered)")
                #expect(zip(answered, answered.dropFirst()).allSatisfy { $0 != $1 }, "in turn: \(answered)")

                // /status/500 on whichever is picked takes that upstream out; the next request goes to the other.
                #expect(try await Self.request(port, "/failing/status/500").status == .internalServerError)
                let before = (a.paths.count, b.paths.count)
                for _ in 0..<4 { #expect(try await Self.request(port, "/failing/status/200").status == .ok) }
                let grew = (a.paths.count - before.0, b.paths.count - before.1)
                #expect(grew == (4, 0) || grew == (0, 4), "one upstream is out: \(grew)")

                for index in 0..<4 {
                    let retried = try await Self.request(port, "/retry/y", headers: [("X-Request-ID", "retry-\(index)")])
                    #expect(retried.status == .ok, "a GET that cannot connect goes to the other upstream")
                }
                try await waitUntil("the retries' access lines") { serve.records.filter { ($0["request_id"] as? String)?.hasPrefix("retry-") == true }.count == 4 }
                let upstreams = serve.records.filter { ($0["request_id"] as? String)?.hasPrefix("retry-") == true }.compactMap { $0["upstream"] as? String }
                #expect(upstreams.contains("http://127.0.0.1:\(closed), http://127.0.0.1:\(a.port)/echo"), "both tried, in order: \(upstreams)")
                // Round robin sends two POSTs to each upstream in turn; the one that meets the closed
                // port is not tried again, as a body may have been sent.
                var posted: [UInt] = []
                for _ in 0..<2 {
                    posted.append(try await Self.request(port, "/retry/y", method: .POST, body: .bytes(ByteBuffer(string: "payload"))).status.code)
                }
                #expect(posted.sorted() == [200, 502], "\(posted)")
            }
        }
    }

    @Test func anUpstreamThatDiesIsRoutedAroundAndABodyItCutsIsCutForTheClient() async throws {
        try await TestUpstream.with("a") { a in
            try await withTemporaryDirectory { directory in
                // Upstream b is another process, killed outright: Python's static file server
                // answering /x with what the echo upstream says of itself.
                try directory.write("x", #"{"upstream":"b"}"#)
                let bPort = try freeLoopbackPort()
                let b = try ChildProcess(
                    ["/usr/bin/python3", "-m", "http.server", "--bind", "127.0.0.1", "\(bPort)"], environment: ["PATH": "/usr/bin:/bin"],
                    directory: directory.path, stdout: STDERR_FILENO, stderr: STDERR_FILENO)
                defer { b.signal(SIGKILL) }
                try await waitUntil("upstream b to listen", interval: .milliseconds(50)) {
                    (try? await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(bPort)/x"), timeout: .seconds(1)).status) == .ok
                }
                try await Self.withGateway("""
                        - prefix: /pair/
                          upstreams: [http://127.0.0.1:\(a.port)/echo, http://127.0.0.1:\(bPort)]
                          auth: none
                          strip_prefix: true
                          max_fails: 1
                          fail_timeout: 60
                        - prefix: /cut/
                          upstreams: [http://127.0.0.1:\(a.port)]
                          auth: none
                          strip_prefix: true
                    """) { _, port, _ in
                    var answered: Set<String> = []
                    for _ in 0..<2 { answered.insert(Self.json(try await Self.request(port, "/pair/x").body)["upstream"] as? String ?? "?") }
                    #expect(answered == ["a", "b"])
                    b.signal(SIGKILL)
                    #expect(try await b.waitForExit() != 0)
                    for _ in 0..<6 {
                        let answer = try await Self.request(port, "/pair/x")
                        #expect(answer.status == .ok, "the GET that meets b is tried on a: \(answer.body)")
                        #expect(Self.json(answer.body)["upstream"] as? String == "a")
                    }
                    // An upstream that dies after its head was relayed: the client's connection is
                    // cut, never ended as though the body were whole.
                    await #expect(throws: (any Error).self) { try await Self.request(port, "/cut/truncated") }
                    #expect(try await Self.request(port, "/pair/x").status == .ok, "the worker goes on serving")
                }
            }
        }
    }

    @Test func anUpstreamThatFailsItsHealthCheckGetsNoRequestsUntilItPasses() async throws {
        try await TestUpstream.with("a") { a in
            let closed = try freeLoopbackPort()
            let metricsPort = try freeLoopbackPort()
            try await Self.withGateway("""
                    - prefix: /checked/
                      upstreams: [http://127.0.0.1:\(closed), http://127.0.0.1:\(a.port)]
                      auth: none
                      strip_prefix: true
                      retries: 0
                      max_fails: 1000
                      timeouts: {connect: 0.3}
                      health: {path: /echo, interval: 0.2}
                """, extra: ["PORTCULLIS_METRICS_LISTEN": "127.0.0.1:\(metricsPort)"]) { _, port, _ in
                // AsyncHTTPClient retries a refused connection until the connect timeout, so the
                // check of the closed port fails after 0.3 s.
                try await waitUntil("a health check of the live upstream") { a.paths.contains("/echo") }
                try await Task.sleep(for: .seconds(1))
                for _ in 0..<6 {
                    let answer = try await Self.request(port, "/checked/status/204")
                    #expect(answer.status == .noContent, "never sent to the upstream that fails its check: \(answer.body)")
                }
                // Taken out once, however often it fails again.
                let ejected = #"route="/checked/",upstream="http://127.0.0.1:\#(closed)",reason="active""#
                try await waitUntil("the active ejection in the scrape", interval: .milliseconds(200)) {
                    try await MetricsProcessTests.scrape(metricsPort).sum("portcullis_upstream_ejections_total", matching: ejected) == 1
                }
                try await Task.sleep(for: .seconds(1))
                #expect(try await MetricsProcessTests.scrape(metricsPort).sum("portcullis_upstream_ejections_total", matching: ejected) == 1)
            }
        }
    }

    @Test func aReloadAppliesNewRoutesAndARequestInFlightFinishes() async throws {
        try await TestUpstream.with("a") { upstream in
            try await withTemporaryDirectory { directory in
                func routes(_ prefix: String) -> String {
                    "gateway:\n  routes:\n    - {prefix: \(prefix), upstreams: [http://127.0.0.1:\(upstream.port)], auth: none, strip_prefix: true}\n"
                }
                let file = try directory.write("portcullis.yaml", routes("/old/"))
                let serve = try ServeProcess(["--config", file, "--listen", "127.0.0.1:0", "--workers", "2"], environment: serveEnvironment(directory), in: directory.path)
                let port = try await MasterProcessTests.waitUntilReady(serve)
                #expect(try await Self.request(port, "/old/status/200").status == .ok)
                let inFlight = Task { try await Self.request(port, "/old/slow") }
                try await waitUntil("the slow request to reach the upstream") { upstream.paths.contains("/slow") }
                _ = try directory.write("portcullis.yaml", routes("/new/"))
                serve.signal(SIGHUP)
                try await MasterProcessTests.waitFor(serve) { !MasterProcessTests.masterMessages($0, "reloaded").isEmpty }
                #expect(try await Self.request(port, "/new/status/200").status == .ok)
                #expect(try await Self.request(port, "/old/status/200").status == .notFound)
                let slow = try await inFlight.value
                #expect(slow.status == .ok && slow.body == "slow", "the old generation finished what it held")
                serve.signal(SIGTERM)
                #expect(try await serve.waitForExit() == 0)
            }
        }
    }

    /// A `websocket: true` route relays to an upstream's WebSocket: here Portcullis's own
    /// `/ws/echo`, reached through the route as another service would be.
    @Test func aWebSocketRouteRelaysMessagesBothWaysWithTheSameLimits() async throws {
        try await withTemporaryDirectory { upstreamDirectory in
            // The upstream is another Portcullis; its own Origin check must let the relay's
            // `ws://` Origin in, so it allows any.
            let upstream = try ServeProcess(["--listen", "127.0.0.1:0", "--workers", "1"], environment: serveEnvironment(upstreamDirectory, [
                "PORTCULLIS_CORS_ORIGINS": "*",
            ]), in: upstreamDirectory.path)
            let upstreamPort = try await MasterProcessTests.waitUntilReady(upstream)
            try await withTemporaryDirectory { directory in
                let closed = try freeLoopbackPort()
                let file = try directory.write("portcullis.yaml", """
                    gateway:
                      routes:
                        - {prefix: /relay/, upstreams: ["http://127.0.0.1:\(upstreamPort)/ws"], auth: none, strip_prefix: true, websocket: true}
                        - {prefix: /gone/, upstreams: ["http://127.0.0.1:\(closed)"], auth: none, websocket: true}
                    """)
                let serve = try ServeProcess(["--config", file, "--listen", "127.0.0.1:0", "--workers", "1"], environment: serveEnvironment(directory, [
                    "PORTCULLIS_WS_MAX_MESSAGE_BYTES": "1000", "PORTCULLIS_CORS_ORIGINS": "https://app.example.com",
                ]), in: directory.path)
                let port = try await MasterProcessTests.waitUntilReady(serve)
                let foreign = try await WebSocketTestClient.open(port: port, path: "/relay/echo", headers: [("Origin", "https://evil.example")])
                #expect(foreign.status == 403)
                let client = try await WebSocketTestClient.open(
                    port: port, path: "/relay/echo", headers: [("X-Request-ID", "relayed"), ("Origin", "https://app.example.com")])
                #expect(client.status == 101)
                for text in ["one", "two", String(repeating: "x", count: 990)] {
                    try await client.sendText(text)
                    #expect(await client.next()?.text == "Echo: " + text)
                }
                try await client.send(opcode: 0x1, Array(repeating: UInt8(ascii: "y"), count: 600), fin: false)
                try? await client.send(opcode: 0x0, Array(repeating: UInt8(ascii: "y"), count: 600), fin: true)
                let close = await client.nextClose()
                #expect(close?.closeCode == 1009, "ws.max_message_bytes holds on the relay too: \(String(describing: close?.closeCode)) \(close?.closeReason ?? "")")
                try await waitUntil("the upstream's access line") { upstream.records.contains { $0["path"] as? String == "/ws/echo" } }
                let upstreamLine = upstream.records.first { $0["path"] as? String == "/ws/echo" }
                #expect(upstreamLine?["request_id"] as? String == "relayed", "the upstream got the request's ID")
                #expect(upstreamLine?["status"] as? Int == 101)

                let nowhere = try await WebSocketTestClient.open(port: port, path: "/gone/x")
                #expect(nowhere.status == 502, "the upstream's handshake comes before the client's 101")
                #expect(Self.json(nowhere.body)["error"] as? String == "BadGateway")
                let refused = try await WebSocketTestClient.open(port: port, path: "/relay/no-such-socket")
                #expect(refused.status == 502, "an upstream that answers the handshake with 404")

                // A graceful stop closes a relayed connection with 1001, as it does our own.
                let open = try await WebSocketTestClient.open(port: port, path: "/relay/echo")
                #expect(open.status == 101)
                try await open.sendText("still here")
                #expect(await open.next()?.text == "Echo: still here")
                serve.signal(SIGTERM)
                let goingAway = await open.nextClose(timeout: 15)
                #expect(goingAway?.closeCode == 1001, "\(String(describing: goingAway?.closeCode)) \(goingAway?.closeReason ?? "")")
                #expect(try await serve.waitForExit() == 0)
            }
            upstream.signal(SIGTERM)
            #expect(try await upstream.waitForExit() == 0)
        }
    }

    @Test func anHTTPSUpstreamIsVerifiedAgainstTheRouteCAFileAndRelaysWebSocketsToo() async throws {
        try await withTemporaryDirectory { upstreamDirectory in
            let chain = try TestCertificates.makeChain()
            let (upstreamFile, tlsPort) = try writeTLSConfig(chain, in: upstreamDirectory)
            let upstream = try ServeProcess(["--config", upstreamFile, "--listen", "127.0.0.1:0", "--workers", "1"], environment: serveEnvironment(upstreamDirectory, [
                "PORTCULLIS_CORS_ORIGINS": "*",
            ]), in: upstreamDirectory.path)
            _ = try await MasterProcessTests.waitUntilReady(upstream)
            try await withTemporaryDirectory { directory in
                let ca = try directory.write("ca.pem", chain.caPEM)
                let notPEM = try directory.write("not.pem", "hello")
                let file = try directory.write("portcullis.yaml", """
                    gateway:
                      routes:
                        - {prefix: /secure/, upstreams: ["https://localhost:\(tlsPort)"], auth: none, strip_prefix: true, websocket: true, tls_ca_file: \(ca)}
                        - {prefix: /untrusted/, upstreams: ["https://localhost:\(tlsPort)"], auth: none, strip_prefix: true, websocket: true}
                    """)
                let broken = try directory.write("broken.yaml", """
                    gateway:
                      routes:
                        - {prefix: /a/, upstreams: ["https://localhost:1"], tls_ca_file: \(notPEM)}
                        - {prefix: /b/, upstreams: ["https://localhost:1"], tls_ca_file: \(directory.path)/missing.pem}
                        - {prefix: /c/, upstreams: ["https://localhost:1"], tls_ca_file: relative.pem}
                    """)
                let check = try await PortcullisBinary.run(["check-config", "--config", broken], environment: serveEnvironment(directory), in: directory.path)
                #expect(check.status == 78)
                let problems = check.stdout
                #expect(problems.contains("gateway.routes[0].tls_ca_file") && problems.contains("holds no PEM certificate"), "\(problems)")
                #expect(problems.contains("gateway.routes[1].tls_ca_file") && problems.contains("does not exist"), "\(problems)")
                #expect(problems.contains("gateway.routes[2].tls_ca_file") && problems.contains("absolute path"), "\(problems)")

                let serve = try ServeProcess(["--config", file, "--listen", "127.0.0.1:0", "--workers", "1"], environment: serveEnvironment(directory), in: directory.path)
                let port = try await MasterProcessTests.waitUntilReady(serve)
                let secure = try await Self.request(port, "/secure/healthz")
                #expect(secure.status == .ok, "\(secure.body)")
                #expect(Self.json(secure.body)["status"] as? String == "ok")
                let untrusted = try await Self.request(port, "/untrusted/healthz")
                #expect(untrusted.status == .badGateway, "a certificate the route does not trust: \(untrusted.body)")
                #expect(try await WebSocketTestClient.open(port: port, path: "/untrusted/ws/echo").status == 502)

                let client = try await WebSocketTestClient.open(port: port, path: "/secure/ws/echo")
                #expect(client.status == 101)
                try await client.sendText("over TLS")
                #expect(await client.next()?.text == "Echo: over TLS")
                try await client.sendClose()
                #expect(await client.nextClose()?.closeCode == 1000)
                serve.signal(SIGTERM)
                #expect(try await serve.waitForExit() == 0)
            }
            upstream.signal(SIGTERM)
            #expect(try await upstream.waitForExit() == 0)
        }
    }

    @Test func bodiesStreamBothWaysAndTheRouteLimitStillHolds() async throws {
        try await TestUpstream.with("a") { upstream in
            try await Self.withGateway("""
                    - prefix: /files/
                      upstreams: [http://127.0.0.1:\(upstream.port)]
                      auth: none
                      strip_prefix: true
                      max_body_bytes: 1073741824
                    - prefix: /small/
                      upstreams: [http://127.0.0.1:\(upstream.port)]
                      auth: none
                      strip_prefix: true
                      max_body_bytes: 1000
                """) { serve, port, _ in
                let worker = try #require(HostileClientTests.children(of: serve.pid).first)
                let before = Self.residentBytes(worker)
                let gib = 1 << 30
                let peak = Peak(worker)
                let sampling = Task { await peak.run() }
                let upload = try await Self.request(port, "/files/upload", method: .POST, body: .stream(Chunks(total: gib), length: .known(Int64(gib))))
                #expect(upload.status == .ok)
                #expect(upload.body == "\(gib)")
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/files/download?bytes=\(gib)")
                request.method = .GET
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
                var received = 0
                for try await buffer in response.body { received += buffer.readableBytes }
                #expect(received == gib)
                sampling.cancel()
                let highest = await sampling.value
                print("gateway 1 GiB up and down: worker RSS \(before >> 20) MiB before, \(highest >> 20) MiB at most")
                #expect(highest - before < 64 << 20, "the worker never holds a body: \(before >> 20) → \(highest >> 20) MiB")

                let over = try await Self.request(port, "/small/upload", method: .POST, body: .bytes(ByteBuffer(repeating: 1, count: 1001)))
                #expect(over.status == .payloadTooLarge)
                let chunked = try await Self.request(port, "/small/upload", method: .POST, body: .stream(Chunks(total: 5000, chunk: 500), length: .unknown))
                #expect(chunked.status == .payloadTooLarge)
            }
        }
    }

    static func residentBytes(_ pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
    }

    /// The highest RSS of a process, sampled every 20 ms until cancelled.
    struct Peak {
        let pid: Int32
        init(_ pid: Int32) { self.pid = pid }
        func run() async -> Int {
            var highest = 0
            while !Task.isCancelled {
                highest = max(highest, GatewayProcessTests.residentBytes(pid))
                try? await Task.sleep(for: .milliseconds(20))
            }
            return highest
        }
    }

    /// `total` bytes in chunks, made as they are read.
    struct Chunks: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let total: Int
        var chunk = 1 << 20

        struct AsyncIterator: AsyncIteratorProtocol {
            var left: Int
            let chunk: ByteBuffer
            mutating func next() async -> ByteBuffer? {
                guard left > 0 else { return nil }
                let size = Swift.min(left, chunk.readableBytes)
                left -= size
                return chunk.getSlice(at: 0, length: size)
            }
        }

        func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(left: total, chunk: ByteBuffer(repeating: 0x62, count: chunk))
        }
    }
}
