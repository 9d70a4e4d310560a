import Metrics
import PortcullisPlatform
import Prometheus

/// The master's own metrics, through swift-prometheus: build info, the generation, worker exits
/// by reason, reloads by outcome, and each process's memory, CPU, descriptors and start time.
/// ``render(_:)`` adds them to the workers' summed exposition, with the relay's queues and
/// what the master records through swift-metrics (the relay's drops: ``DropReport``).
final class MasterMetrics: Sendable {
    /// Why a worker exited, as the `reason` label says it.
    enum ExitReason: String, CaseIterable {
        /// Asked to stop: a reload retired it, TTOU removed it, or the master stopped.
        case stopped
        /// It reached `server.max_requests`.
        case recycled
        /// Killed for missing its heartbeat, or for running another build.
        case killed
        /// It died before it served.
        case diedBeforeServing = "died_before_serving"
        /// It died while serving.
        case crashed
    }

    /// One process whose figures the scrape reports.
    struct Process: Sendable {
        /// `master` or `worker`.
        let role: String
        /// The worker's index; nil for the master.
        let index: Int?
        let pid: Int32
    }

    private let registry = PrometheusCollectorRegistry()
    private let generation: Prometheus.Gauge
    private let relay: Relay
    private let relayBytes: Prometheus.Gauge
    private let relayLimit: Prometheus.Gauge

    init(build: (version: String, revision: String), relay: Relay) {
        self.relay = relay
        let link = [("queue", "ws.relay_queue_bytes"), ("link", "worker")]
        relayBytes = registry.makeGauge(descriptor: .named("portcullis_queue_bytes", MetricHelp.text["portcullis_queue_bytes"] ?? ""), labels: link)
        relayLimit = registry.makeGauge(descriptor: .named("portcullis_queue_limit_bytes", MetricHelp.text["portcullis_queue_limit_bytes"] ?? ""), labels: link)
        registry.makeGauge(
            descriptor: .named("portcullis_build_info", "The running build; always 1."),
            labels: [("version", build.version), ("revision", build.revision)]
        ).set(to: 1.0)
        generation = registry.makeGauge(descriptor: .named("portcullis_generation", "The generation of workers serving."))
        for reason in ExitReason.allCases { _ = exits(reason) }
    }

    /// Makes swift-metrics record into the master's registry; call once, when `/metrics` is served.
    func bootstrap() {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }

    func workerExited(_ reason: ExitReason) { exits(reason).increment() }

    func reloadFinished(_ outcome: String) {
        registry.makeCounter(descriptor: .named("portcullis_reloads_total", "Reloads by how they ended."), labels: [("outcome", outcome)])
            .increment()
    }

    /// The whole node's exposition: the workers' summed families, the master's own and each
    /// process's figures as of now, merged so that a family the master and the workers both
    /// record (a relay queue's bytes) appears once.
    func render(_ snapshot: MetricsSnapshot) -> [UInt8] {
        generation.set(to: Double(snapshot.generation))
        let queued = relay.queued
        relayBytes.set(to: Double(queued.bytes))
        relayLimit.set(to: Double(queued.limit))
        var own = registry.emitToBuffer()
        Self.processRegistry(snapshot.processes).emit(into: &own)
        var node = snapshot.node
        node.update(worker: Self.masterID, exposition: own)
        var buffer: [UInt8] = []
        node.render(into: &buffer, help: MetricHelp.text)
        return buffer
    }

    /// The master's place among the workers in ``NodeMetrics``: no worker has it.
    private static let masterID = -1

    /// Gauges read at scrape time, in the exposition format.
    static func render(_ samples: [GaugeSample]) -> [UInt8] {
        let registry = PrometheusCollectorRegistry()
        for sample in samples {
            registry.makeGauge(descriptor: .named(sample.name, sample.help), labels: sample.labels.sorted { $0.key < $1.key })
                .set(to: sample.value)
        }
        return registry.emitToBuffer()
    }

    private func exits(_ reason: ExitReason) -> Prometheus.Counter {
        registry.makeCounter(descriptor: .named("portcullis_worker_exits_total", "Worker exits by reason."), labels: [("reason", reason.rawValue)])
    }

    /// A registry of this moment's process figures: a process that is gone leaves no series.
    private static func processRegistry(_ processes: [Process]) -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        for process in processes {
            guard let stats = ProcessStats.read(pid: process.pid) else { continue }
            let labels = [("process", process.role), ("worker", process.index.map(String.init) ?? ""), ("pid", "\(process.pid)")]
            registry.makeGauge(descriptor: .named("portcullis_process_resident_memory_bytes", "Resident memory."), labels: labels)
                .set(to: stats.residentBytes)
            registry.makeCounter(descriptor: .named("portcullis_process_cpu_seconds_total", "User and system CPU time."), labels: labels)
                .increment(by: stats.cpuSeconds)
            registry.makeGauge(descriptor: .named("portcullis_process_open_fds", "Open file descriptors."), labels: labels)
                .set(to: stats.openDescriptors)
            registry.makeGauge(descriptor: .named("portcullis_process_start_time_seconds", "Start time, seconds since the epoch."), labels: labels)
                .set(to: stats.startTime)
        }
        return registry
    }
}

/// What the master's loop knows at a scrape, handed to the metrics listener, which renders it
/// and reads `/proc` and the database off the loop.
struct MetricsSnapshot: Sendable {
    let node: NodeMetrics
    let processes: [MasterMetrics.Process]
    let generation: Int
    /// The configuration the workers run, for the figures read from the database.
    let config: PortcullisConfig
}

extension MetricNameDescriptor {
    /// A metric's whole name and its help text.
    static func named(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
