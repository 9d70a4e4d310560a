import AsyncHTTPClient
import Foundation
import NIOCore
import TestSupport
import Testing

/// `GET /auth/verify` as the proxy in front calls it: directly, and behind a real nginx running
/// the `auth_request` block of docs/deploy.md in front of a protected service.
@Suite struct ForwardAuthTests {
    /// Starts one worker with a user `olga`; `body` gets the server, its port and her token.
    static func withUser(_ body: (ServeProcess, Int, String, TemporaryDirectory) async throws -> Void) async throws {
        try await withTemporaryDirectory { directory in
            // Two gateway routes, for the per-route rule; nothing listens behind them.
            let file = try directory.write("portcullis.yaml", """
                gateway:
                  routes:
                    - {prefix: /public/, upstreams: ["http://127.0.0.1:9"], auth: none}
                    - {prefix: /private/, upstreams: ["http://127.0.0.1:9"]}
                """)
            let serve = try ServeProcess(["--config", file, "--listen", "127.0.0.1:0", "--workers", "1"], environment: serveEnvironment(directory, [
                "PORTCULLIS_SECURITY_PASSWORD_HASH_COST": "10",
            ]), in: directory.path)
            let port = try await MasterProcessTests.waitUntilReady(serve)
            try await body(serve, port, try await Self.signUp(port, "olga"), directory)
            serve.signal(SIGTERM)
            #expect(try await serve.waitForExit() == 0)
        }
    }

    /// Signs `username` up (at `username@example.com`) and logs in: the access token.
    static func signUp(_ port: Int, _ username: String) async throws -> String {
        let signUp = try await DatabaseProcessTests.post(
            port, "/users", #"{"username":"\#(username)","email":"\#(username)@example.com","password":"correct horse battery"}"#)
        #expect(signUp.status == .created)
        let login = try await DatabaseProcessTests.post(port, "/auth/login", #"{"username":"\#(username)","password":"correct horse battery"}"#)
        let json = try JSONSerialization.jsonObject(with: Data(buffer: try await login.body.collect(upTo: 1 << 16))) as? [String: Any]
        return try #require(json?["access_token"] as? String)
    }

    @Test func aValidTokenGets204WithTheIdentityAndAnythingElse401() async throws {
        try await Self.withUser { serve, port, token, _ in
            let none = try await MasterProcessTests.get(port, "/auth/verify")
            #expect(none.status == .unauthorized)
            #expect(none.headers.first(name: "WWW-Authenticate") == "Bearer")
            let forged = try await MasterProcessTests.get(port, "/auth/verify", headers: [("Authorization", "Bearer \(token)x")])
            #expect(forged.status == .unauthorized)
            #expect(forged.headers.first(name: "X-Auth-Request-User") == nil)

            let valid = try await MasterProcessTests.get(port, "/auth/verify", headers: [
                ("Authorization", "Bearer \(token)"), ("X-Original-Method", "DELETE"), ("X-Original-URI", "/app/orders/7?force=1"),
                ("X-Request-ID", "verify-1"),
            ])
            #expect(valid.status == .noContent)
            #expect(valid.headers.first(name: "X-Auth-Request-User") == "olga")
            #expect(valid.headers.first(name: "X-Auth-Request-User-Id") == "1")
            #expect(valid.headers.first(name: "X-Auth-Request-Email") == "olga@example.com")
            try await waitUntil("the access line") { serve.records.contains { $0["request_id"] as? String == "verify-1" } }
            let line = try #require(serve.records.first { $0["request_id"] as? String == "verify-1" })
            #expect(line["original_method"] as? String == "DELETE")
            #expect(line["original_uri"] as? String == "/app/orders/7", "never the query")
            #expect(line["path"] as? String == "/auth/verify")

            let open = try await MasterProcessTests.get(port, "/auth/verify", headers: [("X-Original-URI", "/public/page")])
            #expect(open.status == .noContent, "a gateway route with auth: none needs no token")
            #expect(open.headers.first(name: "X-Auth-Request-User") == nil)
            let closed = try await MasterProcessTests.get(port, "/auth/verify", headers: [("X-Original-URI", "/private/page")])
            #expect(closed.status == .unauthorized)

            let traefik = try await MasterProcessTests.get(port, "/auth/verify", headers: [
                ("Authorization", "Bearer \(token)"), ("X-Forwarded-Method", "POST"), ("X-Forwarded-Uri", "/other"), ("X-Request-ID", "verify-2"),
            ])
            #expect(traefik.status == .noContent)
            try await waitUntil("the second access line") { serve.records.contains { $0["request_id"] as? String == "verify-2" } }
            let second = try #require(serve.records.first { $0["request_id"] as? String == "verify-2" })
            #expect(second["original_method"] as? String == "POST")
            #expect(second["original_uri"] as? String == "/other")
        }
    }

    /// The nginx block of docs/deploy.md, with its ports, inside a configuration of its own
    /// that also runs the protected service: a server block that answers with the identity
    /// headers it received.
    static func nginxConfiguration(directory: String, front: Int, portcullis: Int, service: Int) throws -> String {
        let deploy = try String(contentsOf: PackagingTests.root.appendingPathComponent("docs/deploy.md"), encoding: .utf8)
        let section = try #require(deploy.components(separatedBy: "## Forward auth for other services").dropFirst().first)
        let block = try #require(section.components(separatedBy: "```nginx\n").dropFirst().first?.components(separatedBy: "```").first)
        let server = block
            .replacingOccurrences(of: "server 127.0.0.1:8080;", with: "server 127.0.0.1:\(portcullis);")
            .replacingOccurrences(of: "listen 80;", with: "listen 127.0.0.1:\(front);")
            .replacingOccurrences(of: "http://127.0.0.1:9000", with: "http://127.0.0.1:\(service)")
        return """
            daemon off;
            worker_processes 1;
            pid \(directory)/nginx.pid;
            error_log \(directory)/error.log;
            events { worker_connections 64; }
            http {
                access_log off;
                client_body_temp_path \(directory)/body;
                proxy_temp_path \(directory)/proxy;
                fastcgi_temp_path \(directory)/fastcgi;
                uwsgi_temp_path \(directory)/uwsgi;
                scgi_temp_path \(directory)/scgi;
                \(server)
                server {
                    listen 127.0.0.1:\(service);
                    location / { return 200 "user=$http_x_auth_request_user id=$http_x_auth_request_user_id email=$http_x_auth_request_email"; }
                }
            }
            """
    }

    @Test func nginxAuthRequestLetsOnlyTokenBearersThroughWithTheirIdentity() async throws {
        try await Self.withUser { serve, port, token, directory in
            let front = try freeLoopbackPort()
            let configuration = try Self.nginxConfiguration(directory: directory.path, front: front, portcullis: port, service: try freeLoopbackPort())
            let path = try directory.write("nginx.conf", configuration)
            let log = open(directory.path + "/nginx.out", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            defer { close(log) }
            let nginx = try ChildProcess(["/usr/sbin/nginx", "-c", path, "-p", directory.path], environment: ["PATH": "/usr/sbin:/usr/bin:/bin"],
                                         directory: directory.path, stdout: log, stderr: log)
            defer { nginx.signal(SIGQUIT) }
            try await waitUntil("nginx to listen") { (try? await MasterProcessTests.get(front, "/app/")) != nil }

            let anonymous = try await MasterProcessTests.get(front, "/app/orders", headers: [("X-Auth-Request-User", "mallory")])
            #expect(anonymous.status == .unauthorized)
            let body = String(buffer: try await anonymous.body.collect(upTo: 1 << 16))
            #expect(!body.contains("user="), "the service was never reached")

            let olga = try await MasterProcessTests.get(front, "/app/orders", headers: [("Authorization", "Bearer \(token)")])
            #expect(olga.status == .ok)
            #expect(String(buffer: try await olga.body.collect(upTo: 1 << 16)) == "user=olga id=1 email=olga@example.com")

            let spoofing = try await MasterProcessTests.get(front, "/app/orders", headers: [
                ("Authorization", "Bearer \(token)"), ("X-Auth-Request-User", "mallory"), ("X-Auth-Request-User-Id", "99"),
            ])
            #expect(spoofing.status == .ok)
            #expect(String(buffer: try await spoofing.body.collect(upTo: 1 << 16)) == "user=olga id=1 email=olga@example.com")

            func asked() -> [[String: Any]] {
                serve.records.filter { $0["path"] as? String == "/auth/verify" && $0["original_uri"] as? String == "/app/orders" }
            }
            try await waitUntil("three access lines of /auth/verify for /app/orders") { asked().count == 3 }
            #expect(asked().map { $0["status"] as? Int } == [401, 204, 204])
            #expect(asked().allSatisfy { $0["original_method"] as? String == "GET" })
            nginx.signal(SIGQUIT)
            #expect(try await nginx.waitForExit() == 0)
        }
    }
}
