import TestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct ResponseHeadersTests {
    @Test func healthzAnswersWithTheFullHeaderSet() async throws {
        try await withTestApp { client, _, _ in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(json(response.body)["status"] as? String == "ok")
                let h = response.headers
                #expect(h[.contentType] == "application/json; charset=utf-8")
                #expect(h[.requestID]?.wholeMatch(of: /[0-9a-f]{32}/) != nil)
                #expect(h[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
                #expect(h[HTTPField.Name("X-Frame-Options")!] == "DENY")
                #expect(h[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
                #expect(h[.contentSecurityPolicy] == "default-src 'none'; frame-ancestors 'none'")
                #expect(h[HTTPField.Name("Cross-Origin-Opener-Policy")!] == "same-origin")
                #expect(h[HTTPField.Name("Cross-Origin-Resource-Policy")!] == "same-origin")
                #expect(h[HTTPField.Name("Permissions-Policy")!]?.contains("camera=()") == true)
                #expect(h[HTTPField.Name("X-XSS-Protection")!] == "0")
                #expect(h[.cacheControl] == "no-store")
                #expect(h[.server] == nil)
                #expect(h[.strictTransportSecurity] == nil)
            }
        }
    }

    @Test func headIsAnsweredWhereverGetIs() async throws {
        try await withTestApp { client, _, _ in
            try await client.execute(uri: "/healthz", method: .head) { response in
                #expect(response.status == .ok)
                #expect(response.body.readableBytes == 0)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            }
        }
    }

    @Test func aWellFormedClientRequestIDIsEchoedAndABadOneReplaced() async throws {
        try await withTestApp { client, _, _ in
            try await client.execute(uri: "/healthz", method: .get, headers: [.requestID: "abc.DEF_1:2-3"]) { response in
                #expect(response.headers[.requestID] == "abc.DEF_1:2-3")
            }
            for bad in ["has space", String(repeating: "a", count: 129), "semi;colon"] {
                try await client.execute(uri: "/healthz", method: .get, headers: [.requestID: bad]) { response in
                    #expect(response.headers[.requestID] != bad)
                    #expect(response.headers[.requestID]?.count == 32)
                }
            }
        }
    }

    @Test func spoofedForwardedProtoFromAnUntrustedPeerGetsNoHSTS() async throws {
        try await withTestApp(overrides: ["server.trusted_proxies": "10.0.0.0/8"]) { client, _, _ in
            try await client.execute(uri: "/healthz", method: .get, headers: [HTTPField.Name("X-Forwarded-Proto")!: "https"]) { response in
                #expect(response.headers[.strictTransportSecurity] == nil)
            }
        }
    }

    @Test func errorResponsesCarryTheHeadersToo() async throws {
        try await withTestApp { client, _, _ in
            try await client.execute(uri: "/missing", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
                #expect(response.headers[.cacheControl] == "no-store")
                #expect(response.headers[.requestID] != nil)
            }
        }
    }
}
