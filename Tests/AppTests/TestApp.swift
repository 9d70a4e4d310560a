import TestSupport
import HTTPTypes
import Foundation
import Synchronization
import Hummingbird
import HummingbirdTesting
import Logging
import PortcullisApp
import PortcullisPlatform
import ServiceLifecycle

/// Builds the real application through the app factory with the testing profile, captures
/// its logs, and runs `test` against it through Hummingbird's in-process test client.
///
/// As `serve` does, it runs the start-up hooks (migrations) first, and the app's services (the
/// store, the background tasks), its workloads (the job runner) and before-serving hooks around
/// the test, stopping them gracefully after it. The database is a fresh one on `backend`;
/// password hashes use scrypt's lowest allowed cost and a unit of work waits up to 30 s for a
/// PostgreSQL connection, unless `overrides` says otherwise.
func withTestApp<T: Sendable>(
    backend: DatabaseBackend = .sqlite,
    overrides: [String: String] = [:],
    customize: (inout ApplicationBuilder) -> Void = { _ in },
    _ test: @Sendable (any TestClientProtocol, PortcullisApplication, LogCapture) async throws -> T
) async throws -> T {
    try await withTemporaryDirectory { directory in
        try await TestDatabase.with(backend, in: directory) { database in
            let defaults = testStoreDefaults(database).merging(["security.password_hash_cost": "10"]) { $1 }
            let settings = overrides.merging(defaults) { mine, _ in mine }
            let config = try PortcullisConfig.testing(stateDir: directory.path, overrides: settings)
            let capture = LogCapture()
            let loggers = LoggerFactory(config: config, sink: capture)
            let app = try AppFactory.makeApplication(config: config, loggers: loggers, customize: customize)
            try await app.lifecycle.runStartup(logger: app.logger)
            return try await app.lifecycle.run(logger: app.logger) {
                // As in a serving process: the workloads stop first, then the services in reverse order.
                let services = ServiceGroup(configuration: .init(
                    services: (app.services + app.workloads).map { .init(service: $0) }, logger: app.logger
                ))
                return try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await services.run() }
                    let harness = Application(responder: app.responder, logger: app.logger)
                    let outcome: Result<T, any Error>
                    do {
                        outcome = .success(try await harness.test(.router) { client in try await test(client, app, capture) })
                    } catch {
                        outcome = .failure(error)
                    }
                    await services.triggerGracefulShutdown()
                    try await group.waitForAll()
                    return try outcome.get()
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

/// What a test needs of a response: status, headers and the body as a JSON object.
struct JSONReply: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let text: String

    var body: [String: Any] { json(ByteBuffer(string: text)) }
    var details: [String: String] { body["details"] as? [String: String] ?? [:] }
}

extension TestClientProtocol {
    /// Sends `body` (as given, so malformed JSON can be sent) with a JSON content type unless told otherwise.
    func send(
        _ method: HTTPRequest.Method, _ uri: String, body: String? = nil,
        contentType: String? = "application/json", headers extra: HTTPFields = [:]
    ) async throws -> JSONReply {
        var headers = extra
        if body != nil, let contentType { headers[.contentType] = contentType }
        return try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
            JSONReply(status: response.status, headers: response.headers, text: String(buffer: response.body))
        }
    }

    /// Signs a user up through `POST /users`; the reply must be 201.
    @discardableResult
    func signUp(_ username: String, email: String? = nil, password: String = "correct horse battery") async throws -> Int {
        let reply = try await send(.post, "/users", body: #"{"username":"\#(username)","email":"\#(email ?? username + "@example.com")","password":"\#(password)"}"#)
        guard reply.status == .created, let id = reply.body["id"] as? Int else {
            throw SignUpFailed(reply: reply.text)
        }
        return id
    }

    /// Logs in through `POST /auth/login` and returns the access token; the reply must be 200.
    func logIn(_ username: String, password: String = "correct horse battery", headers: HTTPFields = [:]) async throws -> String {
        let reply = try await send(.post, "/auth/login", body: #"{"username":"\#(username)","password":"\#(password)"}"#, headers: headers)
        guard reply.status == .ok, let token = reply.body["access_token"] as? String else { throw SignUpFailed(reply: reply.text) }
        return token
    }
}

struct SignUpFailed: Error {
    let reply: String
}
