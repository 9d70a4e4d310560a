import Logging
import PortcullisApp
import PortcullisPlatform

/// One worker, as its master started it: loads the configuration from the master's inputs,
/// links to the master over the control socket, and serves on the inherited listeners until
/// it is stopped, recycled or orphaned.
public enum WorkerProcess {
    /// Why a worker could not serve.
    public enum Failure: Error, CustomStringConvertible {
        /// The configuration is invalid: every problem, for standard error.
        case configuration([ConfigProblem])
        /// The in-flight board at descriptor 4 cannot be mapped.
        case inFlightBoard
        /// The connection shares at descriptor 5 cannot be mapped.
        case connectionShares
        /// Serving failed; already logged.
        case serving

        public var description: String {
            switch self {
            case .configuration(let problems): problems.map(\.description).joined(separator: "\n")
            case .inFlightBoard: "the in-flight board at descriptor \(WorkerInvocation.inFlightDescriptor) cannot be mapped"
            case .connectionShares: "the connection shares at descriptor \(WorkerInvocation.sharesDescriptor) cannot be mapped"
            case .serving: "could not serve"
            }
        }
    }

    /// Serves until stopped.
    /// - Parameter build: this binary's version and revision, which the master checks against its own.
    public static func run(_ invocation: WorkerInvocation, build: String) async throws(Failure) {
        let loaded = ConfigLoader.load(invocation.configRequest)
        guard loaded.errors.isEmpty else { throw .configuration(loaded.errors) }
        let config = loaded.config
        let loggers = LoggerFactory.forThisProcess(config: config, worker: invocation.index)
        loggers.bootstrapProcess()
        let logger = loggers.logger("portcullis.worker")
        let load = LoadCounter()
        let control = WorkerControl(
            fd: WorkerInvocation.controlDescriptor, heartbeatInterval: min(config.server.workerTimeout / 4, .seconds(1)),
            relayLimit: config.ws.relayQueueBytes, load: load, build: build,
            metrics: config.metrics.listen == nil ? nil : WorkerMetrics(index: invocation.index), logger: logger)
        let limit = config.server.maxRequests > 0
            ? RequestLimit(limit: config.server.maxRequests + Int.random(in: 0...config.server.maxRequestsJitter)) { control.recycle() }
            : nil
        guard let inFlight = InFlightRequests(fd: WorkerInvocation.inFlightDescriptor) else { throw .inFlightBoard }
        guard let shares = ConnectionShares(fd: WorkerInvocation.sharesDescriptor) else { throw .connectionShares }
        do {
            let app = try AppFactory.makeApplication(config: config, loggers: loggers, node: invocation.node, inFlight: inFlight)
            control.link(app.hub)
            logger.info("worker starting", metadata: ["generation": "\(invocation.generation)"])
            try await ServingProcess.run(
                app: app, listeners: Listener.inherited(invocation), requestLimit: limit, load: load,
                shares: invocation.shareSlot.map { (shares, $0) }, companions: [control]
            ) { _ in control.ready() }
        } catch {
            control.finish()
            loggers.flush()
            logger.critical("could not serve", metadata: ["error": .string("\(error)")])
            throw .serving
        }
        control.finish()
        loggers.flush()
        logger.info("worker stopped")
    }
}
