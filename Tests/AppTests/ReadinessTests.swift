import TestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PortcullisApp
import Testing

@Suite struct ReadinessTests {
    @Test func readyzReportsEachCheck() async throws {
        try await withTestApp(customize: { builder in
            builder.addReadinessCheck(.init(name: "cache") { nil })
        }) { client, _, _ in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                let body = json(response.body)
                #expect(body["status"] as? String == "ready")
                #expect(body["checks"] as? [String: String] == ["serving": "ok", "database": "ok", "cache": "ok"])
            }
        }
    }

    @Test func readyzTurns503WhileDrainingAndHealthzStays200() async throws {
        try await withTestApp { client, app, _ in
            app.readiness.beginDraining()
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let body = json(response.body)
                #expect(body["error"] as? String == "NotReady")
                let details = try #require(body["details"] as? [String: Any])
                #expect(details["status"] as? String == "draining")
                #expect(details["checks"] as? [String: String] == ["serving": "draining", "database": "ok"])
            }
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func aFailingCheckMakesTheServerUnavailable() async throws {
        try await withTestApp(customize: { builder in
            builder.addReadinessCheck(.init(name: "database") { "connection refused" })
        }) { client, _, _ in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let details = try #require(json(response.body)["details"] as? [String: Any])
                #expect(details["status"] as? String == "unavailable")
                #expect(details["checks"] as? [String: String] == ["serving": "ok", "database": "connection refused"])
            }
        }
    }
}
