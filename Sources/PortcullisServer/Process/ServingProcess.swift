import Logging
import NIOCore
import PortcullisApp
import PortcullisPlatform
import ServiceLifecycle
import UnixSignals

/// One serving process: runs the app's before-serving hooks, serves until TERM or INT
/// (graceful) or QUIT (immediate), then runs the after-serving hooks.
public enum ServingProcess {
    /// Serves `app` on `listeners` until stopped. Returns normally after a graceful or immediate stop.
    public static func run(
        app: PortcullisApplication,
        listeners: [Listener],
        onListening: @escaping @Sendable ([SocketAddress]) async -> Void = { _ in }
    ) async throws {
        let logger = app.loggers.logger("portcullis.lifecycle")
        try await app.lifecycle.run(logger: logger) {
            let server = HTTPServer(app: app, listeners: listeners, onListening: onListening)
            let group = ServiceGroup(configuration: .init(
                services: [.init(service: server, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                cancellationSignals: [.sigquit],
                logger: logger
            ))
            try await group.run()
        }
    }
}
