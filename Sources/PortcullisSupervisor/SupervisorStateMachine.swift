/// The master's decisions as a pure state machine: events in, actions out, no processes,
/// sockets or clocks of its own, so every rule is unit-tested. ``Master`` feeds it and does
/// what it says.
///
/// Workers come in generations. A reload first prepares (the configuration is loaded and its
/// start-up work runs off the master's loop, so heartbeats, the watchdog, signals and worker
/// deaths are handled meanwhile), then starts generation N+1, waits until all of it serves,
/// and retires generation N.
public struct SupervisorStateMachine: Sendable {
    /// Fixed rules, from the configuration.
    public struct Rules: Sendable {
        /// How long a serving worker may stay silent before it is killed.
        public var workerTimeout: Duration
        /// How long a worker may take from spawn to its first `ready` — loading the
        /// configuration and building the app take longer than a heartbeat on a busy machine.
        public var startTimeout: Duration {
            max(workerTimeout, Self.minimumStartTimeout)
        }
        static let minimumStartTimeout = Duration.seconds(30)
        /// Workers dying before they serve within ``crashWindow`` beyond which the master gives up.
        public var crashLoopMax: Int
        public var crashWindow: Duration = .seconds(60)
        /// How long a stop may take before what is left is killed.
        public var stopBudget: Duration
        /// How long `/readyz` says 503 before the master closes its listening sockets.
        public var drainDelay: Duration
        /// The master's build; a worker that reports another is killed before it serves.
        public var build = ""

        public init(workerTimeout: Duration, crashLoopMax: Int, stopBudget: Duration, drainDelay: Duration) {
            self.workerTimeout = workerTimeout
            self.crashLoopMax = crashLoopMax
            self.stopBudget = stopBudget
            self.drainDelay = drainDelay
        }
    }

    /// One worker process the master knows about.
    public struct Worker: Sendable, Equatable {
        public enum State: Sendable, Equatable {
            case starting
            case serving
            /// Asked to stop (retired, recycled, removed or part of a stop).
            case stopping
        }

        public let id: Int
        /// The worker's index, as its log lines show it.
        public let index: Int
        public let generation: Int
        public var pid: Int32?
        public var state: State
        public var lastSeen: ContinuousClock.Instant
        /// Set when the worker said it reached `max_requests`: its exit is expected.
        public var recycling = false
        /// Set once the worker was killed for missing its heartbeat.
        public var killed = false
    }

    public enum Phase: Sendable, Equatable {
        /// The first generation is starting; not ready yet.
        case booting
        case running
        /// A reload loads its configuration and runs its start-up work; the running
        /// generation serves on.
        case preparing
        /// Generation `generation` is starting to replace the one before.
        case reloading(generation: Int)
        case stopping(graceful: Bool, deadline: ContinuousClock.Instant, exitCode: Int32)
        case stopped(exitCode: Int32)

        var isGracefulStop: Bool {
            if case .stopping(true, _, _) = self { return true }
            return false
        }
    }

    public enum Action: Sendable, Equatable {
        case spawn(id: Int, index: Int, generation: Int)
        case signal(pid: Int32, Signal)
        /// Every worker serves: tell systemd `READY=1`.
        case announceReady(workers: Int, generation: Int)
        /// Load and validate the configuration and run its start-up work without blocking the
        /// loop, then report with ``reloadPrepared(workers:now:)`` or ``reloadRefused(problems:)``.
        case prepareReload
        case announceReloading
        case announceStopping
        /// Close the master's copies of the listening sockets so new connections are refused.
        case closeListeners
        case log(LogLine)
        case exit(code: Int32)
        /// A reload ended: tell whoever asked for it.
        case reloadFinished(ReloadOutcome)
    }

    /// How a reload ended.
    public enum ReloadOutcome: Sendable, Equatable {
        /// The new generation serves.
        case reloaded(generation: Int)
        /// The new configuration is invalid or its start-up work failed; nothing changed.
        case refused(problems: [String])
        /// A worker of the new generation died before it served; the old generation serves on.
        case abandoned(problem: String)
    }

    public enum Signal: Sendable, Equatable {
        case terminate, kill, quit
    }

    /// A log line the master should write, with its level.
    public struct LogLine: Sendable, Equatable {
        public enum Level: Sendable { case info, warning, error, critical }
        public let level: Level
        public let message: String
        public let fields: [String: String]
    }

    public private(set) var phase: Phase = .booting
    public private(set) var workers: [Worker] = []
    public private(set) var desired: Int
    public private(set) var generation = 1
    let rules: Rules
    private var nextID = 1
    /// When workers crashed within ``Rules/crashWindow``: the backoff.
    private var crashes: [ContinuousClock.Instant] = []
    /// When workers died before serving within ``Rules/crashWindow``: the crash loop.
    private var bootCrashes: [ContinuousClock.Instant] = []
    private var pendingSpawns: [(index: Int, generation: Int, at: ContinuousClock.Instant)] = []
    private var listenersClosed = false
    private var stopStarted: ContinuousClock.Instant?
    /// The worker count to return to when a reload is abandoned.
    private var previousDesired = 0

    public init(workers: Int, rules: Rules) {
        self.desired = workers
        self.rules = rules
    }

    // MARK: Events

    public mutating func start(now: ContinuousClock.Instant) -> [Action] {
        (0..<desired).map { spawn(index: $0, generation: generation, now: now) }
    }

    /// The loop started the process for a `spawn` action.
    public mutating func spawned(id: Int, pid: Int32) {
        if let slot = slot(id) { workers[slot].pid = pid }
    }

    /// The worker serves. When `build` is given and is not the master's, the worker is killed
    /// instead, and its death counts as one before serving.
    public mutating func workerReady(id: Int, build: String? = nil, now: ContinuousClock.Instant) -> [Action] {
        guard let slot = slot(id) else { return [] }
        workers[slot].lastSeen = now
        guard workers[slot].state == .starting else { return [] }
        if let build, build != rules.build {
            workers[slot].killed = true
            var actions: [Action] = [.log(LogLine(
                level: .error, message: "worker runs another build than its master; killing it",
                fields: fields(workers[slot]).merging(["worker_build": build, "master_build": rules.build]) { $1 }
            ))]
            if let pid = workers[slot].pid { actions.append(.signal(pid: pid, .kill)) }
            return actions
        }
        workers[slot].state = .serving
        var actions: [Action] = [.log(LogLine(level: .info, message: "worker serving", fields: fields(workers[slot])))]
        switch phase {
        case .booting where servingCount(generation: generation) >= desired:
            phase = .running
            actions.append(.announceReady(workers: desired, generation: generation))
            actions.append(.log(LogLine(level: .info, message: "ready", fields: ["workers": "\(desired)", "generation": "\(generation)"])))
        case .reloading(let new) where servingCount(generation: new) >= desired:
            phase = .running
            for old in workers.indices where workers[old].generation < new && workers[old].state != .stopping {
                workers[old].state = .stopping
                if let pid = workers[old].pid { actions.append(.signal(pid: pid, .terminate)) }
            }
            actions.append(.reloadFinished(.reloaded(generation: new)))
            actions.append(.announceReady(workers: desired, generation: new))
            actions.append(.log(LogLine(level: .info, message: "reloaded", fields: ["workers": "\(desired)", "generation": "\(new)"])))
        default:
            break
        }
        return actions
    }

    public mutating func heartbeat(id: Int, now: ContinuousClock.Instant) {
        if let slot = slot(id) { workers[slot].lastSeen = now }
    }

    /// The worker reached `max_requests` and is stopping by itself; replace it at once.
    public mutating func recycling(id: Int, now: ContinuousClock.Instant) -> [Action] {
        guard let slot = slot(id), !workers[slot].recycling else { return [] }
        workers[slot].recycling = true
        workers[slot].state = .stopping
        let worker = workers[slot]
        guard isServingPhase else { return [] }
        return [
            .log(LogLine(level: .info, message: "worker recycling after max_requests", fields: fields(worker))),
            spawn(index: worker.index, generation: worker.generation, now: now),
        ]
    }

    /// A worker exited with `status`; `serving` is what its in-flight board held: the IDs of the
    /// requests it took down, and how many there were (more than the IDs when some had no slot).
    public mutating func workerExited(
        id: Int, status: Int32, serving: (ids: [String], count: Int) = ([], 0), now: ContinuousClock.Instant
    ) -> [Action] {
        guard let slot = slot(id) else { return [] }
        let worker = workers.remove(at: slot)
        var actions: [Action] = []
        let expected = worker.state == .stopping
        if case .stopping(_, _, let code) = phase {
            if workers.isEmpty { actions += finish(code) }
            return actions
        }
        if case .reloading(let new) = phase, worker.generation == new, worker.state == .starting {
            return abandonReload(because: worker, status: status)
        }
        if expected {
            actions.append(.log(LogLine(level: .info, message: "worker exited", fields: fields(worker).merging(["status": "\(status)"]) { $1 })))
            return actions
        }
        // Every crash backs the next spawn off; only workers that die before they serve (a
        // bad binary, configuration or port) count towards giving up. A worker that served
        // and then crashed is replaced, however often: giving up would turn one bad request
        // into an outage for everyone.
        let window = rules.crashWindow
        let beforeServing = worker.state == .starting
        crashes.append(now)
        crashes.removeAll { now - $0 > window }
        if beforeServing { bootCrashes.append(now) }
        bootCrashes.removeAll { now - $0 > window }
        let message = beforeServing ? "worker died before serving" : "worker died"
        var died = fields(worker).merging(["status": "\(status)"]) { $1 }
        if serving.count > 0 {
            died["requests_in_flight"] = "\(serving.count)"
            died["request_ids"] = serving.ids.prefix(Self.loggedRequestIDs).joined(separator: ",")
        }
        actions.append(.log(LogLine(level: .error, message: message, fields: died)))
        if bootCrashes.count > rules.crashLoopMax {
            actions.append(.log(LogLine(
                level: .critical,
                message: "crash loop: \(bootCrashes.count) workers died before serving within \(Int(rules.crashWindow.components.seconds)) s; giving up",
                fields: [:]
            )))
            actions += beginStop(graceful: false, exitCode: 1, now: now)
            return actions
        }
        let delay = Self.backoff(recentCrashes: crashes.count)
        pendingSpawns.append((worker.index, worker.generation, now + delay))
        return actions
    }

    public mutating func tick(now: ContinuousClock.Instant) -> [Action] {
        var actions: [Action] = []
        switch phase {
        case .stopping(_, let deadline, _):
            if !listenersClosed, let started = stopStarted, now - started >= rules.drainDelay {
                listenersClosed = true
                actions.append(.closeListeners)
            }
            if now >= deadline {
                for worker in workers {
                    guard let pid = worker.pid else { continue }
                    actions.append(.log(LogLine(level: .warning, message: "killing worker still running at graceful_timeout", fields: fields(worker))))
                    actions.append(.signal(pid: pid, .kill))
                }
            }
            return actions
        case .stopped:
            return []
        default:
            break
        }
        let due = pendingSpawns.filter { $0.at <= now }
        pendingSpawns.removeAll { $0.at <= now }
        for spawnDue in due where spawnDue.index < desired && spawnDue.generation == generation {
            actions.append(spawn(index: spawnDue.index, generation: spawnDue.generation, now: now))
        }
        for index in workers.indices
        where !workers[index].killed && workers[index].state != .stopping
            && now - workers[index].lastSeen > (workers[index].state == .starting ? rules.startTimeout : rules.workerTimeout) {
            guard let pid = workers[index].pid else { continue }
            workers[index].killed = true
            actions.append(.log(LogLine(level: .error, message: "worker missed its heartbeat; killing it", fields: fields(workers[index]))))
            actions.append(.signal(pid: pid, .kill))
        }
        return actions
    }

    /// TERM or INT: stop gracefully. A second one while stopping changes nothing.
    public mutating func terminate(now: ContinuousClock.Instant) -> [Action] {
        guard isServingPhase else { return [] }
        return [.log(LogLine(level: .info, message: "stopping gracefully", fields: [:]))] + beginStop(graceful: true, exitCode: 0, now: now)
    }

    /// QUIT: stop at once, also in the middle of a graceful stop.
    public mutating func quit(now: ContinuousClock.Instant) -> [Action] {
        guard isServingPhase || phase.isGracefulStop else { return [] }
        return [.log(LogLine(level: .info, message: "stopping immediately", fields: [:]))] + beginStop(graceful: false, exitCode: 0, now: now)
    }

    /// HUP: reload, unless a stop or another reload is under way.
    public mutating func hangup() -> [Action] {
        guard phase == .running else { return [notSteady("reload ignored")] }
        phase = .preparing
        return [.announceReloading, .prepareReload]
    }

    /// The new configuration is valid and its start-up work done: start its generation.
    /// Ignored unless a reload is preparing (a stop may have begun meanwhile).
    public mutating func reloadPrepared(workers count: Int, now: ContinuousClock.Instant) -> [Action] {
        guard phase == .preparing else { return [] }
        previousDesired = desired
        generation += 1
        desired = count
        phase = .reloading(generation: generation)
        pendingSpawns.removeAll()
        return [.log(LogLine(level: .info, message: "reloading", fields: ["generation": "\(generation)", "workers": "\(count)"]))]
            + (0..<count).map { spawn(index: $0, generation: generation, now: now) }
    }

    /// The new configuration was invalid, or its start-up work failed: keep the running generation.
    public mutating func reloadRefused(problems: [String]) -> [Action] {
        guard phase == .preparing else { return [] }
        phase = .running
        return [.reloadFinished(.refused(problems: problems)), .announceReady(workers: desired, generation: generation)]
    }

    /// TTIN: one worker more.
    public mutating func addWorker(now: ContinuousClock.Instant) -> [Action] {
        guard phase == .running else { return [notSteady("worker count change ignored")] }
        guard desired < 512 else { return [] }
        desired += 1
        return [
            .log(LogLine(level: .info, message: "adding a worker", fields: ["workers": "\(desired)"])),
            spawn(index: desired - 1, generation: generation, now: now),
        ]
    }

    /// TTOU: one worker less, never below one.
    public mutating func removeWorker() -> [Action] {
        guard phase == .running else { return [notSteady("worker count change ignored")] }
        guard desired > 1 else { return [] }
        desired -= 1
        guard let slot = workers.lastIndex(where: { $0.generation == generation && $0.index == desired && $0.state != .stopping }) else {
            return []
        }
        workers[slot].state = .stopping
        var actions: [Action] = [.log(LogLine(level: .info, message: "removing a worker", fields: ["workers": "\(desired)"]))]
        if let pid = workers[slot].pid { actions.append(.signal(pid: pid, .terminate)) }
        return actions
    }

    // MARK: Helpers

    /// A worker of the new generation exited before it served: the new configuration does not
    /// work after all. Stop the rest of the new generation and keep the old one.
    private mutating func abandonReload(because worker: Worker, status: Int32) -> [Action] {
        let abandoned = generation
        var actions: [Action] = [.log(LogLine(
            level: .error,
            message: "reload abandoned: a new worker exited before serving; the previous generation keeps serving",
            fields: fields(worker).merging(["status": "\(status)"]) { $1 }
        ))]
        for index in workers.indices where workers[index].generation == abandoned && workers[index].state != .stopping {
            workers[index].state = .stopping
            if let pid = workers[index].pid { actions.append(.signal(pid: pid, .terminate)) }
        }
        generation -= 1
        desired = previousDesired
        phase = .running
        actions.append(.reloadFinished(.abandoned(problem: "a worker of the new generation exited with status \(status) before serving")))
        actions.append(.announceReady(workers: desired, generation: generation))
        return actions
    }

    /// How many of a dead worker's request IDs its log line names; `requests_in_flight` counts all.
    static let loggedRequestIDs = 32

    /// 0.1 s after the first crash, doubling to at most 10 s.
    static func backoff(recentCrashes: Int) -> Duration {
        let exponent = max(0, min(recentCrashes - 1, 7))
        return min(.milliseconds(100 * (1 << exponent)), .seconds(10))
    }

    private func notSteady(_ what: String) -> Action {
        .log(LogLine(level: .warning, message: "\(what): the master is not running steadily", fields: ["phase": "\(phase)"]))
    }

    private var isServingPhase: Bool {
        switch phase {
        case .booting, .running, .preparing, .reloading: true
        case .stopping, .stopped: false
        }
    }

    private mutating func beginStop(graceful: Bool, exitCode: Int32, now: ContinuousClock.Instant) -> [Action] {
        var actions: [Action] = []
        switch phase {
        case .preparing, .reloading:
            actions.append(.reloadFinished(.abandoned(problem: "the master began to stop before the reload finished")))
        default:
            break
        }
        let deadline = graceful ? now + rules.stopBudget : now
        phase = .stopping(graceful: graceful, deadline: deadline, exitCode: exitCode)
        pendingSpawns.removeAll()
        stopStarted = now
        actions.append(.announceStopping)
        if !graceful || rules.drainDelay == .zero {
            listenersClosed = true
            actions.append(.closeListeners)
        }
        for index in workers.indices {
            workers[index].state = .stopping
            if let pid = workers[index].pid { actions.append(.signal(pid: pid, graceful ? .terminate : .kill)) }
        }
        if workers.isEmpty { actions += finish(exitCode) }
        return actions
    }

    private mutating func finish(_ code: Int32) -> [Action] {
        phase = .stopped(exitCode: code)
        var actions: [Action] = []
        if !listenersClosed {
            listenersClosed = true
            actions.append(.closeListeners)
        }
        return actions + [.exit(code: code)]
    }

    private mutating func spawn(index: Int, generation: Int, now: ContinuousClock.Instant) -> Action {
        let id = nextID
        nextID += 1
        workers.append(Worker(id: id, index: index, generation: generation, pid: nil, state: .starting, lastSeen: now))
        return .spawn(id: id, index: index, generation: generation)
    }

    private func slot(_ id: Int) -> Int? { workers.firstIndex { $0.id == id } }

    private func servingCount(generation: Int) -> Int {
        workers.filter { $0.generation == generation && $0.state == .serving }.count
    }

    private func fields(_ worker: Worker) -> [String: String] {
        ["worker_index": "\(worker.index)", "generation": "\(worker.generation)", "worker_pid": worker.pid.map(String.init) ?? "-"]
    }
}
