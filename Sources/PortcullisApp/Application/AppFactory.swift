import Foundation
public import PortcullisPlatform
public import Logging
import PortcullisPersistence

/// The app factory: one function builds the whole application from a validated configuration.
/// `serve` and every test call it.
public enum AppFactory {
    /// The version of the HTTP API, as `/openapi.json` states it.
    public static let apiVersion = "1.0.0"

    /// Builds the application. `customize` runs after the product's own blueprints and hooks
    /// are registered, so tests and embedders can add routes and hooks of their own.
    public static func makeApplication(
        config: PortcullisConfig,
        loggers: LoggerFactory,
        customize: (inout ApplicationBuilder) -> Void = { _ in }
    ) throws -> PortcullisApplication {
        var builder = ApplicationBuilder(config: config, loggers: loggers)
        let stateDir = config.server.stateDir
        builder.atStartup("state directory") {
            try FileManager.default.createDirectory(
                atPath: stateDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        }
        let databaseLogger = loggers.logger("portcullis.database")
        builder.atStartup("database migrations") {
            try await migrate(config.database, logger: databaseLogger)
        }
        let services = AppServices(
            store: try StoreFactory.make(config.database, logger: databaseLogger),
            passwords: PasswordHasher(cost: config.security.passwordHashCost),
            tokens: TokenService(security: config.security),
            throttle: LoginThrottle(maxFailures: config.security.loginMaxFailures)
        )
        builder.addService(services.store)
        builder.beforeServing("signing key") { await services.tokens.loadKey() }
        builder.addReadinessCheck(.init(name: "database") {
            do {
                try await services.store.ping()
                return nil
            } catch {
                return "unavailable"
            }
        })
        builder.register(HealthBlueprint.make(readiness: builder.readiness))
        builder.register(UsersBlueprint.make(services: services))
        builder.register(APIBlueprint.make(services: services))
        builder.register(AuthBlueprint.make(services: services, logger: loggers.logger("portcullis.auth")))
        try builder.registerDocs(version: apiVersion)
        customize(&builder)
        return builder.build()
    }

    /// Applies pending migrations with a store of its own, opened and closed around the work;
    /// what `serve` runs at start-up and `migrate` runs on demand.
    @discardableResult
    public static func migrate(_ database: PortcullisConfig.Database, logger: Logger) async throws -> [Int] {
        let store = try StoreFactory.make(database, logger: logger)
        let applied = try await store.whileRunning { try await Migrator.migrate(store) }
        for migration in applied {
            logger.info("migration applied", metadata: ["version": "\(migration.version)", "name": .string(migration.name)])
        }
        return applied.map(\.version)
    }
}
