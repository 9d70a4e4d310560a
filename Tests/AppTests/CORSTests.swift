import TestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct CORSTests {
    let origins = ["cors.origins": "https://app.example,https://admin.example:8443"]
    let allowOrigin = HTTPField.Name("Access-Control-Allow-Origin")!
    let allowCredentials = HTTPField.Name("Access-Control-Allow-Credentials")!
    let allowMethods = HTTPField.Name("Access-Control-Allow-Methods")!
    let allowHeaders = HTTPField.Name("Access-Control-Allow-Headers")!
    let requestMethod = HTTPField.Name("Access-Control-Request-Method")!

    @Test func aListedOriginsPreflightIsAnswered() async throws {
        try await withTestApp(overrides: origins) { client, _, _ in
            try await client.execute(uri: "/healthz", method: .options, headers: [.origin: "https://app.example", requestMethod: "POST"]) { response in
                #expect(response.status == .noContent)
                #expect(response.headers[allowOrigin] == "https://app.example")
                #expect(response.headers[allowCredentials] == "true")
                #expect(response.headers[allowMethods]?.contains("POST") == true)
                #expect(response.headers[allowHeaders]?.contains("Authorization") == true)
                #expect(response.headers[values: .vary].contains("Origin"))
            }
        }
    }

    @Test func aListedOriginGetsCORSHeadersOnTheActualRequest() async throws {
        try await withTestApp(overrides: origins) { client, _, _ in
            try await client.execute(uri: "/healthz", method: .get, headers: [.origin: "https://admin.example:8443"]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[allowOrigin] == "https://admin.example:8443")
                #expect(response.headers[allowCredentials] == "true")
                #expect(response.headers[values: .vary].contains("Origin"))
            }
        }
    }

    @Test func aRejectedOriginGetsNoCORSHeaders() async throws {
        try await withTestApp(overrides: origins) { client, _, _ in
            try await client.execute(uri: "/healthz", method: .get, headers: [.origin: "https://evil.example"]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[allowOrigin] == nil)
                #expect(response.headers[allowCredentials] == nil)
                #expect(response.headers[values: .vary].contains("Origin"))
            }
            try await client.execute(uri: "/healthz", method: .options, headers: [.origin: "https://evil.example", requestMethod: "GET"]) { response in
                #expect(response.headers[allowOrigin] == nil)
                #expect(response.headers[allowMethods] == nil)
            }
        }
    }

    @Test func credentialsCanBeTurnedOff() async throws {
        try await withTestApp(overrides: origins.merging(["cors.allow_credentials": "false"]) { $1 }) { client, _, _ in
            try await client.execute(uri: "/healthz", method: .get, headers: [.origin: "https://app.example"]) { response in
                #expect(response.headers[allowOrigin] == "https://app.example")
                #expect(response.headers[allowCredentials] == nil)
            }
        }
    }

    @Test func emptyOriginsMeanNoCORSAtAll() async throws {
        try await withTestApp { client, _, _ in
            try await client.execute(uri: "/healthz", method: .get, headers: [.origin: "https://app.example"]) { response in
                #expect(response.headers[allowOrigin] == nil)
                #expect(response.headers[values: .vary].isEmpty, "no Vary: Origin (and /healthz is too small to vary by encoding)")
            }
        }
    }
}
