import Dispatch
import Foundation
import Glibc
import Logging
import PortcullisPlatform

/// The prefork master: owns the listening sockets, starts workers by re-executing this binary,
/// and supervises them until it is told to stop. It serves no requests.
///
/// The loop reads top to bottom: signals, worker messages, worker exits, a clock tick and the
/// end of a reload's preparation all arrive as events on one queue; the
/// ``SupervisorStateMachine`` decides; ``perform(_:)`` acts. Nothing on the loop waits: a
/// reload's configuration and start-up work run in a task of their own.
public final class Master {
    /// Undoes a configuration's start-up work (the app's shutdown hooks), once no worker runs it.
    public typealias Shutdown = @Sendable () async -> Void
    /// A configuration's once-only start-up work; returns what undoes it.
    public typealias Prepare = @Sendable (PortcullisConfig) async throws -> Shutdown

    /// What happened, in the order it happened.
    enum Event: Sendable {
        case terminate, quit, hangup, addWorker, removeWorker
        case ready(id: Int, build: String)
        case heartbeat(id: Int, load: WorkerLoad)
        /// A worker's Prometheus exposition, sent with each heartbeat.
        case metrics(id: Int, exposition: [UInt8])
        /// A scrape of `metrics.listen`, waiting for what the loop knows; the rest (rendering,
        /// `/proc`, the database) is read off the loop.
        case scrape(CheckedContinuation<MetricsSnapshot, Never>)
        case recycling(id: Int)
        case exited(id: Int, status: Int32)
        case tick
        /// An asker on the control socket.
        case command(ControlServer.Command, ControlReply)
        /// A reload's configuration is valid and its start-up work done.
        case reloadPrepared(PortcullisConfig, Shutdown)
        /// A reload's configuration is invalid or its start-up work failed.
        case reloadRefused(problems: [String])
    }

    /// What the master knows of a running worker beyond the state machine.
    private struct WorkerReport {
        let started: Date
        /// The board of the requests it serves, read when it exits.
        let inFlight: InFlightRequests
        /// Its line in the connection shares, cleared and given back when it exits.
        let shareSlot: Int?
        /// What its last heartbeat said, for `status`.
        var load = WorkerLoad(requests: 0, connections: 0)
    }

    private let request: ConfigRequest
    private var config: PortcullisConfig
    private let executable: String
    private let logger: Logger
    private var machine: SupervisorStateMachine
    private var listeners: [ListeningSocket] = []
    /// How many connections each worker holds, shared with all of them (descriptor 5), and
    /// which of its slots the live workers hold.
    private var shares: (shares: ConnectionShares, fd: Int32)?
    private var slots = SlotAllocator()
    private let events: AsyncStream<Event>
    private let queue: AsyncStream<Event>.Continuation
    private var exitCode: Int32?
    private let systemd = SystemdNotifier()
    private var lastWatchdog = ContinuousClock.now
    private let prepare: Prepare
    private let gauges: @Sendable (PortcullisConfig) async -> [GaugeSample]
    /// Undo the start-up work of each configuration that started, newest last; run when the
    /// master stops, after the last worker.
    private var shutdowns: [Shutdown] = []
    private let relay: Relay
    private var reports: [Int: WorkerReport] = [:]
    private let build: String
    private let started = Date()
    private var control: ControlServer?
    /// Askers waiting for the reload under way.
    private var reloadWaiters: [ControlReply] = []
    private var lastReload: ReloadReport?
    /// This node's ID, which its workers stamp on what they send to other nodes.
    private let node = UUID().uuidString
    /// The workers' summed metrics and the master's own.
    private var nodeMetrics = NodeMetrics()
    private let masterMetrics: MasterMetrics

    /// - Parameters:
    ///   - build: this binary's version and revision; every worker must report the same.
    ///   - request: how the configuration was loaded, to load it again on reload; each worker
    ///     loads it from the same inputs.
    ///   - prepare: the once-only start-up work for a configuration, run before its first
    ///     worker starts: at start (a failure ends the master with status 1) and on each
    ///     reload (a failure refuses the reload). What it returns runs when the master stops,
    ///     after its last worker.
    ///   - gauges: figures read when `metrics.listen` is scraped, once for the node, from the
    ///     configuration the workers run (the job queue's depth).
    public init(
        build: String,
        request: ConfigRequest,
        config: PortcullisConfig,
        loggers: LoggerFactory,
        gauges: @escaping @Sendable (PortcullisConfig) async -> [GaugeSample] = { _ in [] },
        prepare: @escaping Prepare
    ) {
        self.gauges = gauges
        self.build = build
        self.request = request
        self.prepare = prepare
        self.config = config
        self.executable = Self.currentExecutable()
        self.logger = loggers.logger("portcullis.master")
        self.relay = Relay(logger: logger)
        let parts = build.split(separator: " ", maxSplits: 1).map(String.init)
        self.masterMetrics = MasterMetrics(build: (parts.first ?? build, parts.count > 1 ? parts[1] : ""), relay: relay)
        self.machine = SupervisorStateMachine(workers: config.server.workers, rules: Self.rules(config, build: build))
        (events, queue) = AsyncStream.makeStream(of: Event.self)
    }

    /// Runs until stopped, then undoes the start-up work of every configuration it started,
    /// newest first; returns the process exit status.
    public func run() async -> Int32 {
        let status = await supervise()
        for shutdown in shutdowns.reversed() { await shutdown() }
        return status
    }

    private func supervise() async -> Int32 {
        do {
            let passed = SocketActivation.takePassedSockets()
            if passed.isEmpty {
                let plain = config.server.listen
                for address in plain + config.tls.listen.filter({ !plain.contains($0) }) {
                    var socket = try ListeningSocket.bind(address)
                    socket.tls = config.tls.speaksTLS(address, plain: plain)
                    listeners.append(socket)
                }
            } else {
                logger.notice("socket activation: serving on the sockets systemd passed; server.listen and --listen are ignored", metadata: [
                    "sockets": .string(passed.map(\.name).joined(separator: ",")),
                ])
                for passedSocket in passed {
                    var socket = try ListeningSocket.adopt(passedSocket)
                    socket.tls = passedSocket.name == "https" && config.tls.isEnabled
                    listeners.append(socket)
                }
            }
            for socket in listeners {
                logger.info("listening", metadata: ["address": .string(socket.boundDescription), "tls": .stringConvertible(socket.tls)])
            }
            shares = try ConnectionShares.shared()
        } catch {
            logger.critical("could not serve", metadata: ["error": .string("\(error)")])
            closeListeners()
            return 1
        }
        defer { control?.close() }
        // Signals that arrive during the start-up work (migrations) wait in the queue and take
        // effect once it is done, rather than killing the master halfway through it.
        let signals = trapSignals()
        do {
            shutdowns.append(try await prepare(config))
            // After the start-up work, which creates the state directory it may live in.
            if !config.server.controlSocket.isEmpty {
                control = try ControlServer(path: config.server.controlSocket)
            }
        } catch {
            logger.critical("could not start", metadata: ["error": .string("\(error)")])
            for source in signals { source.cancel() }
            closeListeners()
            return 1
        }
        control?.serve(events: queue)
        serveMetrics()
        let ticker = Task { [queue] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(100))
                queue.yield(.tick)
            }
        }
        defer {
            ticker.cancel()
            for source in signals { source.cancel() }
        }
        logger.info("master started", metadata: ["workers": "\(config.server.workers)"])
        await perform(machine.start(now: .now))
        for await event in events {
            let now = ContinuousClock.now
            switch event {
            case .terminate: await perform(machine.terminate(now: now))
            case .quit: await perform(machine.quit(now: now))
            case .hangup: await perform(machine.hangup())
            case .addWorker: await perform(machine.addWorker(now: now))
            case .removeWorker: await perform(machine.removeWorker())
            case .ready(let id, let build): await perform(machine.workerReady(id: id, build: build, now: now))
            case .heartbeat(let id, let load):
                reports[id]?.load = load
                machine.heartbeat(id: id, now: now)
            case .recycling(let id): await perform(machine.recycling(id: id, now: now))
            case .metrics(let id, let exposition): nodeMetrics.update(worker: id, exposition: exposition)
            case .scrape(let answer): answer.resume(returning: metricsSnapshot())
            case .exited(let id, let status):
                let report = reports.removeValue(forKey: id)
                let serving = report?.inFlight.serving() ?? ([], 0)
                if let slot = report?.shareSlot {
                    shares?.shares.clear(slot: slot)
                    slots.give(slot)
                }
                nodeMetrics.retire(worker: id)
                if let reason = exitReason(id) { masterMetrics.workerExited(reason) }
                await perform(machine.workerExited(id: id, status: status, serving: serving, now: now))
            case .command(let command, let reply):
                await answer(command, reply)
            case .reloadPrepared(let prepared, let undo):
                await reloadPrepared(prepared, undo: undo)
            case .reloadRefused(let problems):
                await perform(machine.reloadRefused(problems: problems))
            case .tick:
                await perform(machine.tick(now: now))
                if let interval = systemd.watchdogInterval, now - lastWatchdog >= interval {
                    systemd.watchdog()
                    lastWatchdog = now
                }
            }
            if let exitCode { return exitCode }
        }
        return 1
    }

    // MARK: Verbs

    private func perform(_ actions: [SupervisorStateMachine.Action]) async {
        for action in actions {
            switch action {
            case .spawn(let id, let index, let generation):
                spawnWorker(id: id, index: index, generation: generation)
            case .signal(let pid, let signal):
                kill(pid, Self.number(of: signal))
            case .prepareReload:
                prepareReload()
            case .closeListeners:
                closeListeners()
            case .log(let line):
                log(line)
            case .exit(let code):
                logger.info("master stopped", metadata: ["status": "\(code)"])
                exitCode = code
            case .announceReady(let workers, let generation):
                let failed = lastReload.flatMap { $0.succeeded ? nil : $0 }
                systemd.ready(workers: workers, generation: generation, note: failed.map { "last reload \($0.outcome): \($0.problems.first ?? "")" })
            case .reloadFinished(let outcome):
                finishReload(outcome)
            case .announceReloading:
                systemd.reloading()
            case .announceStopping:
                systemd.stopping()
            }
        }
    }

    private func spawnWorker(id: Int, index: Int, generation: Int) {
        guard let shares else {
            queue.yield(.exited(id: id, status: 127))
            return
        }
        var pair: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            logger.error("cannot create a worker control socket", metadata: ["error": .string(String(cString: strerror(errno)))])
            queue.yield(.exited(id: id, status: 127))
            return
        }
        let shareSlot = slots.take()
        let invocation = WorkerInvocation(
            index: index, generation: generation, node: node,
            listeners: listeners.map { WorkerInvocation.InheritedSocket(address: $0.boundDescription, tls: $0.tls) }, shareSlot: shareSlot,
            configFile: request.configFile, profile: request.profile, workers: request.workers, listen: request.listen)
        var board: (board: InFlightRequests, fd: Int32)?
        do {
            let shared = try InFlightRequests.shared()
            board = shared
            // The worker is this binary again, with the descriptors in the invocation's order.
            // /proc/self/exe is this master's own build even after a package upgrade replaced
            // the file at `executable`: a master's workers are always of its build.
            let pid = try Spawner.spawn(
                "/proc/self/exe", name: executable, arguments: ["worker"] + invocation.arguments,
                passed: [pair[1], shared.fd, shares.fd] + listeners.map(\.descriptor))
            close(pair[1])
            close(shared.fd)
            machine.spawned(id: id, pid: pid)
            reports[id] = WorkerReport(started: Date(), inFlight: shared.board, shareSlot: shareSlot)
            logger.info("worker started", metadata: ["worker_index": "\(index)", "generation": "\(generation)", "worker_pid": "\(pid)"])
            relay.add(id, writer: ControlWriter(fd: pair[0], label: "portcullis-relay-\(id)", limit: config.ws.relayQueueBytes))
            WorkerChannel.watch(id: id, pid: pid, controlFD: pair[0], relay: relay, events: queue)
        } catch {
            close(pair[0])
            close(pair[1])
            if let board { close(board.fd) }
            if let shareSlot { slots.give(shareSlot) }
            logger.error("cannot start a worker", metadata: ["error": .string(error.description)])
            queue.yield(.exited(id: id, status: 127))
        }
    }

    /// Loads the configuration and runs its start-up work in a task of its own, which reports
    /// back as an event: the loop goes on reading heartbeats, pinging the watchdog and
    /// handling signals and deaths meanwhile, however long the migrations take.
    private func prepareReload() {
        logger.info("reloading the configuration")
        Task { [request, prepare, logger, queue] in
            let loaded = ConfigLoader.load(request)
            guard loaded.errors.isEmpty else {
                for problem in loaded.errors {
                    logger.error("reload refused", metadata: ["key": .string(problem.key), "layer": .string(problem.layer.rawValue), "problem": .string(problem.message)])
                }
                queue.yield(.reloadRefused(problems: loaded.errors.map(\.description)))
                return
            }
            do {
                queue.yield(.reloadPrepared(loaded.config, try await prepare(loaded.config)))
            } catch {
                logger.error("reload refused", metadata: ["error": .string("\(error)")])
                queue.yield(.reloadRefused(problems: ["the new configuration's start-up work failed: \(error)"]))
            }
        }
    }

    /// Starts the prepared configuration's generation. A preparation that finished after a
    /// stop began is undone at once: no worker ever ran it.
    private func reloadPrepared(_ prepared: PortcullisConfig, undo: @escaping Shutdown) async {
        guard machine.phase == .preparing else {
            await undo()
            return
        }
        if prepared.server.listen != config.server.listen {
            logger.warning("server.listen changes take effect on restart, not on reload")
        }
        if prepared.metrics.listen != config.metrics.listen {
            logger.warning("metrics.listen changes take effect on restart, not on reload")
        }
        config = prepared
        shutdowns.append(undo)
        await perform(machine.reloadPrepared(workers: prepared.server.workers, now: .now))
    }

    // MARK: Metrics

    /// Starts the `metrics.listen` listener, when there is one. Its scrapes are events, so
    /// the loop answers them between the others.
    private func serveMetrics() {
        guard let address = config.metrics.listen else { return }
        masterMetrics.bootstrap()
        let server = MetricsServer(on: address, logger: logger) { [queue, gauges, masterMetrics] in
            let snapshot = await withCheckedContinuation { queue.yield(.scrape($0)) }
            return masterMetrics.render(snapshot) + MasterMetrics.render(await gauges(snapshot.config))
        }
        // Stopped with the start-up work's undoing, once the last worker has exited.
        shutdowns.append { await server.stop() }
    }

    private func metricsSnapshot() -> MetricsSnapshot {
        let processes = [MasterMetrics.Process(role: "master", index: nil, pid: getpid())] + machine.workers.compactMap { worker in
            worker.pid.map { MasterMetrics.Process(role: "worker", index: worker.index, pid: $0) }
        }
        return MetricsSnapshot(node: nodeMetrics, processes: processes, generation: machine.generation, config: config)
    }

    /// Why worker `id`, which just exited, did: what the state machine knew of it.
    private func exitReason(_ id: Int) -> MasterMetrics.ExitReason? {
        guard let worker = machine.workers.first(where: { $0.id == id }) else { return nil }
        if worker.recycling { return .recycled }
        if worker.killed { return .killed }
        switch worker.state {
        case .stopping: return .stopped
        case .starting: return .diedBeforeServing
        case .serving: return .crashed
        }
    }

    private func closeListeners() {
        for socket in listeners { socket.close() }
        listeners.removeAll()
    }

    // MARK: Control socket

    private func answer(_ command: ControlServer.Command, _ reply: ControlReply) async {
        switch command {
        case .status:
            reply.send(status())
        case .reload:
            switch machine.phase {
            case .running:
                reloadWaiters.append(reply)
                await perform(machine.hangup())
            case .preparing, .reloading:
                reloadWaiters.append(reply)
            default:
                reply.send(ReloadReport(
                    outcome: "ignored", at: RFC3339.now(), generation: machine.generation,
                    problems: ["the master is \(Self.name(of: machine.phase)), not running steadily; nothing was reloaded"]))
            }
        }
    }

    private func finishReload(_ outcome: SupervisorStateMachine.ReloadOutcome) {
        let (name, generation, problems): (String, Int, [String]) = switch outcome {
        case .reloaded(let generation): ("reloaded", generation, [])
        case .refused(let problems): ("refused", machine.generation, problems)
        case .abandoned(let problem): ("abandoned", machine.generation, [problem])
        }
        let report = ReloadReport(outcome: name, at: RFC3339.now(), generation: generation, problems: problems)
        masterMetrics.reloadFinished(name)
        lastReload = report
        for waiter in reloadWaiters { waiter.send(report) }
        reloadWaiters.removeAll()
    }

    private func status() -> MasterStatus {
        MasterStatus(
            build: build,
            pid: getpid(),
            startedAt: RFC3339.string(from: started),
            uptimeSeconds: Int(Date().timeIntervalSince(started)),
            phase: Self.name(of: machine.phase),
            generation: machine.generation,
            workers: machine.workers.map { worker in
                let report = reports[worker.id]
                return MasterStatus.Worker(
                    pid: worker.pid, index: worker.index, generation: worker.generation, state: "\(worker.state)",
                    startedAt: report.map { RFC3339.string(from: $0.started) } ?? "",
                    requests: report?.load.requests ?? 0, connections: report?.load.connections ?? 0)
            },
            lastReload: lastReload
        )
    }

    private static func name(of phase: SupervisorStateMachine.Phase) -> String {
        switch phase {
        case .booting: "booting"
        case .running: "running"
        case .preparing: "preparing"
        case .reloading: "reloading"
        case .stopping: "stopping"
        case .stopped: "stopped"
        }
    }

    private func log(_ line: SupervisorStateMachine.LogLine) {
        let metadata = line.fields.mapValues { Logger.MetadataValue.string($0) }
        switch line.level {
        case .info: logger.info("\(line.message)", metadata: metadata)
        case .warning: logger.warning("\(line.message)", metadata: metadata)
        case .error: logger.error("\(line.message)", metadata: metadata)
        case .critical: logger.critical("\(line.message)", metadata: metadata)
        }
    }

    // MARK: Set-up

    /// Signal handlers only enqueue; the loop does the work.
    private func trapSignals() -> [any DispatchSourceSignal] {
        let mapping: [(Int32, Event)] = [
            (SIGTERM, .terminate), (SIGINT, .terminate), (SIGQUIT, .quit),
            (SIGHUP, .hangup), (SIGTTIN, .addWorker), (SIGTTOU, .removeWorker),
        ]
        signal(SIGPIPE, SIG_IGN)
        return mapping.map { number, event in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [queue] in queue.yield(event) }
            source.resume()
            return source
        }
    }

    private static func rules(_ config: PortcullisConfig, build: String) -> SupervisorStateMachine.Rules {
        var rules = SupervisorStateMachine.Rules(
            workerTimeout: config.server.workerTimeout,
            crashLoopMax: config.server.crashLoopMax,
            stopBudget: config.server.drainDelay + config.server.gracefulTimeout + .seconds(1),
            drainDelay: config.server.drainDelay
        )
        rules.build = build
        return rules
    }

    private static func number(of signal: SupervisorStateMachine.Signal) -> Int32 {
        switch signal {
        case .terminate: SIGTERM
        case .kill: SIGKILL
        case .quit: SIGQUIT
        }
    }

    /// The running binary, so workers are exactly this build.
    private static func currentExecutable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
