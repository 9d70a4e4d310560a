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
}

/// Starts a server, runs `test`, then stops it gracefully and waits until it has stopped.
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
            try await group.run()
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
