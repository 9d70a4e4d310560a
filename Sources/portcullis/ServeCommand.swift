import ArgumentParser
import Logging
import PortcullisApp
import PortcullisPlatform
import PortcullisServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the server in the foreground, logging to standard error.",
        discussion: "Stops gracefully on TERM or INT, at once on QUIT. Exits 78 when the configuration is invalid."
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
        let loggers = LoggerFactory(config: loaded.config)
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
        let app = AppFactory.makeApplication(config: loaded.config, loggers: loggers)
        do {
            try await ServingProcess.run(app: app, listeners: loaded.config.server.listen.map(Listener.bind))
        } catch {
            logger.critical("could not serve", metadata: ["error": .string("\(error)")])
            throw ExitCode.failure
        }
        logger.info("stopped")
    }
}
