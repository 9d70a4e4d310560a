import Logging
import NIOCore
import PortcullisApp
import PortcullisPlatform
import ServiceLifecycle
import UnixSignals

/// One serving process: runs the app's before-serving hooks, serves until TERM or INT
/// (graceful) or QUIT (immediate), then runs the after-serving hooks. The app's services
/// (the store, the background tasks) run beside the server; a graceful stop drains the server
/// and the app's workloads (the job runner) at the same time, then ends the services in
/// reverse order.
public enum ServingProcess {
    /// Serves `app` on `listeners` until stopped. Returns normally after a graceful or immediate stop.
    /// - Parameters:
    ///   - load: counts what the server serves, for the worker's heartbeat.
    ///   - shares: the node's connection shares and this worker's slot, for balanced accepts.
    ///   - companions: services that run beside the server; when one returns, the process stops gracefully.
    public static func run(
        app: PortcullisApplication,
        listeners: [Listener],
        requestLimit: RequestLimit? = nil,
        load: LoadCounter = LoadCounter(),
        shares: (shares: ConnectionShares, slot: Int)? = nil,
        companions: [any Service] = [],
        onListening: @escaping @Sendable ([SocketAddress]) async -> Void = { _ in }
    ) async throws {
        let logger = app.loggers.logger("portcullis.lifecycle")
        try await app.lifecycle.run(logger: logger) {
            let server = HTTPServer(
                app: app, listeners: listeners, requestLimit: requestLimit, load: load, shares: shares, onListening: onListening)
            let services = app.services + [Together(services: [server] + app.workloads)] + companions
            let group = ServiceGroup(configuration: .init(
                services: services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                cancellationSignals: [.sigquit],
                logger: logger
            ))
            try await group.run()
        }
    }
}

/// Services that run, and drain on a graceful stop, side by side: each child task sees the
/// group's graceful shutdown at the same moment.
struct Together: Service {
    let services: [any Service]

    func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            for service in services { group.addTask { try await service.run() } }
        }
    }
}
