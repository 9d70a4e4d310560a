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
}
