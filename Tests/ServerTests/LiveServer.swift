import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import PortcullisApp
import PortcullisPlatform
import PortcullisServer
import ServiceLifecycle
import Synchronization
import TestSupport

/// A real server on a loopback port (or unix socket), built by the app factory and run by
/// ``HTTPServer`` as `serve` runs it.
struct LiveServer: Sendable {
    let app: PortcullisApplication
    let logs: LogCapture
    let port: Int
    let stop: @Sendable () async -> Void

    var base: String { "http://127.0.0.1:\(port)" }

    func get(_ path: String, headers: [(String, String)] = []) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: base + path)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        return try await HTTPClient.shared.execute(request, timeout: .seconds(10))
    }

    /// POSTs a JSON body; returns the status and the body's text.
    func post(_ path: String, json: String) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: base + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: json))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    /// Signs `username` up and logs in; returns the access token.
    func token(for username: String) async throws -> String {
        let password = "correct horse battery"
        _ = try await post("/users", json: #"{"username":"\#(username)","email":"\#(username)@example.com","password":"\#(password)"}"#)
        let login = try await post("/auth/login", json: #"{"username":"\#(username)","password":"\#(password)"}"#)
        let reply = try JSONSerialization.jsonObject(with: Data(login.body.utf8)) as? [String: Any]
        guard let token = reply?["access_token"] as? String else { throw RawConnection.Failure(description: "login failed: \(login.body)") }
        return token
    }
}

/// Starts a server as `serve` does — start-up hooks (migrations), then before-serving hooks —
/// runs `test`, then stops it gracefully and waits until it has stopped.
func withLiveServer<T: Sendable>(
    overrides: [String: String] = [:],
    listeners extra: [ListenAddress] = [],
    tls: Bool = false,
    customize: (inout ApplicationBuilder) -> Void = { _ in },
    _ test: @Sendable (LiveServer) async throws -> T
) async throws -> T {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    var settings = ["log.format": "json"]
    settings.merge(overrides) { $1 }
    let config = try PortcullisConfig.testing(stateDir: directory.path, overrides: settings)
    let logs = LogCapture()
    let app = try AppFactory.makeApplication(config: config, loggers: LoggerFactory(config: config, sink: logs), customize: customize)
    try await app.lifecycle.runStartup(logger: Logger(label: "test"))
    let (addresses, continuation) = AsyncStream.makeStream(of: [SocketAddress].self)
    let server = HTTPServer(
        app: app,
        listeners: [Listener(.bind(.tcp(host: "127.0.0.1", port: 0)), tls: tls)] + extra.map(Listener.bind),
        onListening: { continuation.yield($0) }
    )
    let group = ServiceGroup(configuration: .init(services: app.services + [server], logger: Logger(label: "test")))
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask {
            defer { continuation.finish() }
            try await app.lifecycle.run(logger: Logger(label: "test")) { try await group.run() }
        }
        var iterator = addresses.makeAsyncIterator()
        guard let bound = await iterator.next(), let port = bound.first?.port else {
            try await tasks.waitForAll()
            throw RawConnection.Failure(description: "the server did not start")
        }
        let live = LiveServer(app: app, logs: logs, port: port, stop: { await group.triggerGracefulShutdown() })
        do {
            let result = try await test(live)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
    }
}
