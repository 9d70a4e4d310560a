import AsyncHTTPClient
import Testing

@Suite struct TrustedProxyLiveTests {
    let forwarded = [("X-Forwarded-For", "198.51.100.7"), ("X-Forwarded-Proto", "https")]

    @Test func aTrustedPeersForwardingHeadersSetClientAndScheme() async throws {
        try await withLiveServer(overrides: ["server.trusted_proxies": "127.0.0.1/32"]) { server in
            let response = try await server.get("/healthz", headers: forwarded)
            #expect(response.status == .ok)
            #expect(response.headers.first(name: "Strict-Transport-Security") == "max-age=63072000; includeSubDomains")
            let access = server.logs.records.filter { $0["logger"] as? String == "portcullis.access" }
            #expect(access.last?["client"] as? String == "198.51.100.7")
        }
    }

    @Test func spoofedHeadersFromAnUntrustedPeerAreIgnored() async throws {
        try await withLiveServer(overrides: ["server.trusted_proxies": "10.0.0.0/8"]) { server in
            let response = try await server.get("/healthz", headers: forwarded + [("Forwarded", "for=1.2.3.4;proto=https")])
            #expect(response.status == .ok)
            #expect(response.headers.first(name: "Strict-Transport-Security") == nil)
            let access = server.logs.records.filter { $0["logger"] as? String == "portcullis.access" }
            #expect(access.last?["client"] as? String == "127.0.0.1")
        }
    }

    /// As the issue found it: the proxy sets X-Forwarded-For, the client sent Forwarded.
    @Test func aClientSentForwardedHeaderBehindAnXForwardedForProxyIsNotBelieved() async throws {
        try await withLiveServer(overrides: ["server.trusted_proxies": "127.0.0.1/32"]) { server in
            _ = try await server.get("/healthz", headers: [("X-Forwarded-For", "203.0.113.9"), ("Forwarded", "for=198.51.100.7")])
            let access = server.logs.records.filter { $0["logger"] as? String == "portcullis.access" }
            #expect(access.last?["client"] as? String == "203.0.113.9")
        }
        try await withLiveServer(overrides: ["server.trusted_proxies": "127.0.0.1/32", "server.forwarded_header": "forwarded"]) { server in
            _ = try await server.get("/healthz", headers: [("X-Forwarded-For", "203.0.113.9"), ("Forwarded", "for=198.51.100.7")])
            let access = server.logs.records.filter { $0["logger"] as? String == "portcullis.access" }
            #expect(access.last?["client"] as? String == "198.51.100.7")
        }
    }

    /// Ten wrong passwords for a username from one address lock that address out of that
    /// username, not the owner at another address.
    @Test func aStrangerCannotLockAUserOutWithTenWrongPasswords() async throws {
        try await withLiveServer(overrides: ["server.trusted_proxies": "127.0.0.1/32"]) { server in
            _ = try await server.token(for: "mallory-victim")
            func login(_ password: String, from client: String) async throws -> Int {
                var request = HTTPClientRequest(url: server.base + "/auth/login")
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.headers.add(name: "X-Forwarded-For", value: client)
                request.body = .bytes(.init(string: #"{"username":"mallory-victim","password":"\#(password)"}"#))
                return Int(try await HTTPClient.shared.execute(request, timeout: .seconds(30)).status.code)
            }
            for _ in 0..<10 { #expect(try await login("wrong password", from: "203.0.113.66") == 401) }
            #expect(try await login("wrong password", from: "203.0.113.66") == 429)
            #expect(try await login("correct horse battery", from: "198.51.100.7") == 200)
        }
    }
}
