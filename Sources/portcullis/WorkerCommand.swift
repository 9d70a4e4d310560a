import ArgumentParser
import PortcullisApp
import PortcullisPlatform
import PortcullisServer

/// The worker process the master starts; not for operators.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Serve on sockets inherited from the master (started by `serve`).",
        shouldDisplay: false
    )

    @OptionGroup var options: ConfigOptions

    @Option(help: "As given to serve, so the worker loads the same configuration.")
    var workers: Int?

    @Option(help: "As given to serve, so the worker loads the same configuration.")
    var listen: [String] = []

    @Option(name: .customLong("control-fd"), help: "The control socket to the master.")
    var controlFD: Int32

    @Option(name: .customLong("in-flight-fd"), help: "Shared memory where the worker keeps the IDs of the requests it serves.")
    var inFlightFD: Int32

    @Option(name: .customLong("listen-fd"), help: "An inherited listening socket, FD=ADDRESS or FD=tls:ADDRESS; repeatable.")
    var listenFDs: [String] = []

    @Option(help: "This worker's index.")
    var index: Int

    @Option(help: "This worker's generation.")
    var generation: Int

    @Option(help: "The ID of the master's node, shared by its workers.")
    var node: String

    func run() async throws {
        let loaded = ConfigLoader.load(options.request(workers: workers, listen: listen))
        guard loaded.errors.isEmpty else {
            report(loaded.errors)
            throw configurationErrorExit
        }
        let config = loaded.config
        let loggers = LoggerFactory.forThisProcess(config: config, worker: index)
        loggers.bootstrapProcess()
        let logger = loggers.logger("portcullis.worker")
        let listeners = try listenFDs.map { entry -> Listener in
            guard let listener = Listener.inherited(argument: entry) else { throw ValidationError("--listen-fd takes FD=ADDRESS or FD=tls:ADDRESS, got \(entry)") }
            return listener
        }
        let heartbeat = min(config.server.workerTimeout / 4, .seconds(1))
        let load = LoadCounter()
        let control = WorkerControl(
            fd: controlFD, heartbeatInterval: heartbeat, relayLimit: config.ws.relayQueueBytes, load: load, build: Portcullis.build, logger: logger)
        let limit = config.server.maxRequests > 0
            ? RequestLimit(limit: config.server.maxRequests + Int.random(in: 0...config.server.maxRequestsJitter)) { control.recycle() }
            : nil
        guard let inFlight = InFlightRequests(fd: inFlightFD) else { throw ValidationError("--in-flight-fd \(inFlightFD) cannot be mapped") }
        let app = try AppFactory.makeApplication(config: config, loggers: loggers, node: node, inFlight: inFlight)
        control.link(app.hub)
        logger.info("worker starting", metadata: ["generation": "\(generation)"])
        do {
            try await ServingProcess.run(app: app, listeners: listeners, requestLimit: limit, load: load, companions: [control]) { _ in control.ready() }
        } catch {
            loggers.flush()
            logger.critical("could not serve", metadata: ["error": .string("\(error)")])
            throw ExitCode.failure
        }
        loggers.flush()
        logger.info("worker stopped")
    }
}
