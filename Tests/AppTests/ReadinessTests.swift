import TestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PortcullisApp
import PortcullisPlatform
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

@Suite struct DatabaseDownTests {
    @Test("a database that cannot be reached: /readyz is 503 unavailable, a route that needs it 503 with Retry-After")
    func databaseDownIs503() async throws {
        try await withTemporaryDirectory { directory in
            // A database file below a regular file can never be opened.
            let blocker = try directory.write("not-a-directory", "")
            let config = try PortcullisConfig.testing(stateDir: directory.path, overrides: ["database.url": "sqlite://\(blocker)/portcullis.db"])
            let app = try AppFactory.makeApplication(config: config, loggers: LoggerFactory(config: config, sink: LogCapture()))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for service in app.services { group.addTask { try await service.run() } }
                defer { group.cancelAll() }
                try await Application(responder: app.responder, logger: app.logger).test(.router) { client in
                    let ready = try await client.send(.get, "/readyz")
                    #expect(ready.status == .serviceUnavailable)
                    let details = try #require(ready.body["details"] as? [String: Any])
                    #expect(details["status"] as? String == "unavailable")
                    #expect((details["checks"] as? [String: String])?["database"] == "unavailable")
                    let user = try await client.send(.get, "/users/1")
                    #expect(user.status == .serviceUnavailable)
                    #expect(user.body["error"] as? String == "ServiceUnavailable")
                    #expect(user.headers[.retryAfter] == "1")
                    #expect(!user.text.contains(blocker), "no path in the body")
                }
            }
        }
    }
}
