import Metrics
import PortcullisPlatform
import Prometheus
import Synchronization

/// This worker's metrics: swift-metrics backed by a Prometheus registry of the worker's own.
/// Each heartbeat carries the registry's exposition to the master, which sums it with the
/// other workers' and keeps the counters of workers that are gone.
final class WorkerMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let open: Prometheus.Gauge
    private let accepted: Prometheus.Counter
    private let acceptedReported = Atomic<Int>(0)

    /// Makes swift-metrics record into this worker's registry; call once, before the app is built.
    /// - Parameter index: the worker's index, the `worker` label of its connection metrics.
    init(index: Int) {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let labels = [("worker", "\(index)")]
        open = registry.makeGauge(
            descriptor: MetricNameDescriptor(metricName: "portcullis_http_connections_open", unitName: "", helpText: "Connections the worker holds now."),
            labels: labels)
        accepted = registry.makeCounter(
            descriptor: MetricNameDescriptor(
                metricName: "portcullis_http_connections_accepted_total", unitName: "", helpText: "Connections the worker accepted."),
            labels: labels)
    }

    /// The exposition, with the connection counts of `load` and the bytes of the bounded
    /// queues (``QueueBytes``) as of now.
    func snapshot(_ load: LoadCounter) -> [UInt8] {
        QueueBytes.record()
        open.set(to: Double(load.load.connections))
        let total = load.acceptedConnections
        let before = acceptedReported.exchange(total, ordering: .relaxed)
        if total > before { accepted.increment(by: Int64(total - before)) }
        return registry.emitToBuffer()
    }
}
