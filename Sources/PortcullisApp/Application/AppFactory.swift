import Foundation
public import PortcullisPlatform

/// The app factory: one function builds the whole application from a validated configuration.
/// `serve` and every test call it.
public enum AppFactory {
    /// Builds the application. `customize` runs after the product's own blueprints and hooks
    /// are registered, so tests and embedders can add routes and hooks of their own.
    public static func makeApplication(
        config: PortcullisConfig,
        loggers: LoggerFactory,
        customize: (inout ApplicationBuilder) -> Void = { _ in }
    ) -> PortcullisApplication {
        var builder = ApplicationBuilder(config: config, loggers: loggers)
        let stateDir = config.server.stateDir
        builder.atStartup("state directory") {
            try FileManager.default.createDirectory(
                atPath: stateDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        }
        builder.register(HealthBlueprint.make(readiness: builder.readiness))
        customize(&builder)
        return builder.build()
    }
}
