import TestSupport
import HTTPTypes
import Foundation
import Synchronization
import Hummingbird
import HummingbirdTesting
import Logging
import PortcullisApp
import PortcullisPlatform

/// Builds the real application through the app factory with the testing profile, captures
/// its logs, and runs `test` against it through Hummingbird's in-process test client.
///
/// As `serve` does, it runs the start-up hooks (migrations) first, and the app's services (the
/// store) and before-serving hooks around the test. The database is a fresh one on `backend`;
/// password hashes use scrypt's lowest allowed cost, unless `overrides` says otherwise.
func withTestApp<T: Sendable>(
    backend: DatabaseBackend = .sqlite,
    overrides: [String: String] = [:],
    customize: (inout ApplicationBuilder) -> Void = { _ in },
    _ test: @Sendable (any TestClientProtocol, PortcullisApplication, LogCapture) async throws -> T
) async throws -> T {
    try await withTemporaryDirectory { directory in
        try await TestDatabase.with(backend, in: directory) { database in
            let settings = overrides.merging(["database.url": database.url, "security.password_hash_cost": "10"]) { mine, _ in mine }
            let config = try PortcullisConfig.testing(stateDir: directory.path, overrides: settings)
            let capture = LogCapture()
            let loggers = LoggerFactory(config: config, sink: capture)
            let app = try AppFactory.makeApplication(config: config, loggers: loggers, customize: customize)
            try await app.lifecycle.runStartup(logger: app.logger)
            return try await app.lifecycle.run(logger: app.logger) {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for service in app.services { group.addTask { try await service.run() } }
                    defer { group.cancelAll() }
                    let harness = Application(responder: app.responder, logger: app.logger)
                    return try await harness.test(.router) { client in try await test(client, app, capture) }
                }
            }
        }
    }
}

extension HTTPField.Name {
    static let requestID = Self("X-Request-ID")!
    static let accessControlAllowOriginName = Self("Access-Control-Allow-Origin")!
}

/// Decodes a response body as a JSON object.
func json(_ buffer: ByteBuffer) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any] ?? [:]
}

/// Records the order in which hooks and handlers ran.
final class Trail: Sendable {
    private let steps = Mutex<[String]>([])
    func add(_ step: String) { steps.withLock { $0.append(step) } }
    var all: [String] { steps.withLock { $0 } }
}
