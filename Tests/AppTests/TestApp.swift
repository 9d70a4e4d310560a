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
func withTestApp<T>(
    overrides: [String: String] = [:],
    customize: (inout ApplicationBuilder) -> Void = { _ in },
    _ test: @Sendable (any TestClientProtocol, PortcullisApplication, LogCapture) async throws -> T
) async throws -> T {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let config = try PortcullisConfig.testing(stateDir: directory.path, overrides: overrides)
    let capture = LogCapture()
    let loggers = LoggerFactory(config: config, sink: capture)
    let app = AppFactory.makeApplication(config: config, loggers: loggers, customize: customize)
    let harness = Application(responder: app.responder, logger: app.logger)
    return try await harness.test(.router) { client in try await test(client, app, capture) }
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
