import Logging
import NIOCore
import PortcullisApp
import PortcullisPlatform
import ServiceLifecycle
import UnixSignals

/// One serving process: runs the app's before-serving hooks, serves until TERM or INT
/// (graceful) or QUIT (immediate), then runs the after-serving hooks. The app's services
/// (the store) run beside the server; a graceful stop ends them after it, in reverse order.
public enum ServingProcess {
    /// Serves `app` on `listeners` until stopped. Returns normally after a graceful or immediate stop.
    /// - Parameter companions: services that run beside the server; when one returns, the process stops gracefully.
    public static func run(
        app: PortcullisApplication,
        listeners: [Listener],
        requestLimit: RequestLimit? = nil,
        companions: [any Service] = [],
        onListening: @escaping @Sendable ([SocketAddress]) async -> Void = { _ in }
    ) async throws {
        let logger = app.loggers.logger("portcullis.lifecycle")
        try await app.lifecycle.run(logger: logger) {
            let server = HTTPServer(app: app, listeners: listeners, requestLimit: requestLimit, onListening: onListening)
            let services = app.services + [server] + companions
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
