import Foundation
public import PortcullisPlatform
public import Logging
import PortcullisHTTP
import PortcullisJobs
import PortcullisPersistence

/// The app factory: one function builds the whole application from a validated configuration.
/// `serve` and every test call it.
public enum AppFactory {
    /// The version of the HTTP API, as `/openapi.json` states it.
    public static let apiVersion = "1.0.0"

    /// Builds the application. `customize` runs after the product's own blueprints and hooks
    /// are registered, so tests and embedders can add routes and hooks of their own.
    /// - Parameter node: the ID every worker of one master shares, so the hub's PostgreSQL link
    ///   ignores what its own node sent (the master relayed that already).
    /// - Parameter inFlight: where the IDs of the requests being served are kept: a worker's
    ///   board in memory its master reads when the worker dies.
    public static func makeApplication(
        config: PortcullisConfig,
        loggers: LoggerFactory,
        node: String = UUID().uuidString,
        inFlight: InFlightRequests = InFlightRequests(),
        customize: (inout ApplicationBuilder) -> Void = { _ in }
    ) throws -> PortcullisApplication {
        var builder = ApplicationBuilder(config: config, loggers: loggers, inFlight: inFlight)
        let stateDir = config.server.stateDir
        builder.atStartup("state directory") {
            try FileManager.default.createDirectory(
                atPath: stateDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        }
        let databaseLogger = loggers.logger("portcullis.database")
        builder.atStartup("database migrations") {
            try await migrate(config.database, logger: databaseLogger)
        }
        let store = try StoreFactory.make(config.database, logger: databaseLogger)
        let stopBudget = config.server.drainDelay + config.server.gracefulTimeout
        let jobsLogger = loggers.logger("portcullis.jobs")
        let queue = JobQueue(store: store, lease: .seconds(config.jobs.leaseSeconds), maxAttempts: config.jobs.maxAttempts)
        let background = BackgroundTasks(readiness: builder.readiness, stopBudget: stopBudget, logger: loggers.logger("portcullis.background"))
        let services = AppServices(
            store: store,
            passwords: PasswordHasher(
                cost: config.security.passwordHashCost,
                // The host's budget, shared out: every worker gets an equal part, at least one.
                concurrency: max(1, config.security.passwordHashConcurrency / config.server.workers),
                waiting: config.security.passwordHashQueue
            ),
            tokens: TokenService(security: config.security),
            throttle: LoginThrottle(config: config.security),
            jobs: queue,
            runner: JobRunner(
                queue: queue,
                handlers: [
                    SendEmailJob.handler(
                        transport: MailTransports.make(config.mail, stateDir: stateDir), from: config.mail.from,
                        transportName: config.mail.transport
                    ),
                    ProcessDataJob.handler,
                ],
                concurrency: config.jobs.concurrency,
                // SQLite has no notifications: jobs other processes enqueue are found by looking.
                pollInterval: store.dialect == .sqlite ? .seconds(1) : .seconds(10),
                stopBudget: stopBudget,
                logger: jobsLogger
            ),
            background: background,
            retention: JobRetention(queue: queue, background: background, retentionDays: config.jobs.retentionDays, logger: jobsLogger)
        )
        builder.addService(services.store)
        if store.dialect == .postgres {
            let link = PostgresHubLink(
                store: store, hub: builder.hub, node: node, logger: loggers.logger("portcullis.hub"), byteLimit: config.ws.relayQueueBytes)
            builder.hub.attach(link)
            builder.addService(link)
        }
        builder.addService(services.background)
        builder.addWorkload(services.runner)
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
        builder.register(AuthBlueprint.make(services: services, gateway: config.gateway, logger: loggers.logger("portcullis.auth")))
        builder.register(JobsBlueprint.make(services: services, mailPerUser: config.mail.maxPerUser))
        builder.register(WebSocketBlueprint.make(
            services: services, settings: .init(config: config, hub: builder.hub, sessions: builder.webSockets, inFlight: inFlight)))
        builder.limiter = RateLimiter(
            gateway: config.gateway, path: stateDir + "/ratelimits", exempt: HealthBlueprint.paths, logger: loggers.logger("portcullis.limits")
        ) { request in
            (try? await BearerAuth.userID(of: request, tokens: services.tokens)).map(String.init)
        }
        if let limiter = builder.limiter {
            builder.beforeServing("rate limit table") { try limiter.open() }
        }
        if !config.gateway.routes.isEmpty {
            let gateway = GatewayProxy(config: config, services: services, sessions: builder.webSockets)
            builder.gateway = gateway
            if gateway.routes.contains(where: { $0.config.health != nil }) { builder.addService(HealthChecks(proxy: gateway)) }
            builder.afterServing("gateway connections") { await gateway.shutdown() }
        }
        builder.registerDocs(version: apiVersion)
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

    /// The job queue's gauges, read from the database on a store of their own: what the master
    /// adds to a scrape, once for the node (workers would each count the same rows). A database
    /// that cannot be read gives none, and the rest of the scrape still answers.
    public static func jobGauges(config: PortcullisConfig, logger: Logger) async -> [GaugeSample] {
        do {
            let store = try StoreFactory.make(config.database, logger: logger)
            return try await store.whileRunning {
                try await JobQueue(store: store, lease: .seconds(config.jobs.leaseSeconds), maxAttempts: config.jobs.maxAttempts).gauges()
            }
        } catch {
            logger.warning("cannot read the job queue for metrics", metadata: ["error": .string("\(error)")])
            return []
        }
    }
}
