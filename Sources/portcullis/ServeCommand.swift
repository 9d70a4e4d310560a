import ArgumentParser
import Logging
import PortcullisApp
import PortcullisPlatform
import PortcullisSupervisor

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the server in the foreground: a master and its worker processes, logging to standard error.",
        discussion: """
            Signals to the master: TERM or INT stop gracefully, QUIT stops at once, HUP reloads the \
            configuration (refused, and the workers keep serving, when it is invalid or its start-up \
            work fails), TTIN and TTOU add or remove one worker. Exits 78 when the configuration is invalid.
            """
    )

    @OptionGroup var options: ConfigOptions

    @Option(name: .long, help: ArgumentHelp("Worker processes (server.workers).", valueName: "n"))
    var workers: Int?

    @Option(name: .long, help: ArgumentHelp("Listen address, repeatable: HOST:PORT, [V6]:PORT or unix:/path (server.listen).", valueName: "addr"))
    var listen: [String] = []

    func run() async throws {
        let loaded = ConfigLoader.load(options.request(workers: workers, listen: listen))
        guard loaded.errors.isEmpty else {
            printToStandardError("portcullis: the configuration is invalid; not starting:")
            report(loaded.errors)
            throw configurationErrorExit
        }
        let loggers = LoggerFactory.forThisProcess(config: loaded.config)
        loggers.bootstrapProcess()
        let logger = loggers.logger("portcullis")
        for warning in loaded.warnings {
            logger.warning("configuration warning", metadata: [
                "key": .string(warning.key), "layer": .string(warning.layer.rawValue), "problem": .string(warning.message),
            ])
        }
        logger.info("starting", metadata: [
            "version": .string(Portcullis.version),
            "profile": .string(loaded.config.profile.rawValue),
            "config_file": .string(loaded.configFile ?? "none"),
        ])
        // The master's own lifecycle hooks: start-up per configuration, and that
        // configuration's shutdown once the master stops.
        let lifecycleLogger = loggers.logger("portcullis.lifecycle")
        let metricsLogger = loggers.logger("portcullis.metrics")
        let master = Master(
            build: Portcullis.build, request: options.request(workers: workers, listen: listen), config: loaded.config, loggers: loggers,
            gauges: { config in await AppFactory.jobGauges(config: config, logger: metricsLogger) }
        ) { config in
            let app = try AppFactory.makeApplication(config: config, loggers: loggers)
            try await app.lifecycle.runStartup(logger: lifecycleLogger)
            return { await app.lifecycle.runShutdown(logger: lifecycleLogger) }
        }
        let status = await master.run()
        guard status == 0 else { throw ExitCode(status) }
        logger.info("stopped")
    }
}
