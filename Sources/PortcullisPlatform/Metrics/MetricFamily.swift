public import CoreMetrics
import Synchronization

/// The swift-metrics handles of one metric, one per set of label values, each made once and
/// kept: recording then costs a lookup, not a registration with the backend.
public final class MetricFamily<Handle: Sendable>: Sendable {
    private let make: @Sendable (_ dimensions: [(String, String)]) -> Handle
    private let names: [String]
    private let handles = Mutex<[[String]: Handle]>([:])

    /// - Parameters:
    ///   - labels: the label names, in the order ``subscript(_:)`` takes their values.
    ///   - make: makes the handle for one set of dimensions, such as `{ Counter(label: "x_total", dimensions: $0) }`.
    public init(labels: [String], make: @escaping @Sendable (_ dimensions: [(String, String)]) -> Handle) {
        self.names = labels
        self.make = make
    }

    /// The handle for these label values, in the order of the label names.
    public subscript(_ values: String...) -> Handle {
        handles.withLock { handles in
            if let handle = handles[values] { return handle }
            let handle = make(Array(zip(names, values)))
            handles[values] = handle
            return handle
        }
    }
}

extension MetricFamily where Handle == CoreMetrics.Counter {
    /// A counter per set of label values.
    public static func counter(_ name: String, labels: [String]) -> MetricFamily {
        MetricFamily(labels: labels) { CoreMetrics.Counter(label: name, dimensions: $0) }
    }
}

extension MetricFamily where Handle == CoreMetrics.Timer {
    /// A timer (a histogram of durations) per set of label values.
    public static func timer(_ name: String, labels: [String]) -> MetricFamily {
        MetricFamily(labels: labels) { CoreMetrics.Timer(label: name, dimensions: $0) }
    }
}

extension CoreMetrics.Timer {
    /// Records the time from `start` to now.
    public func recordInterval(since start: ContinuousClock.Instant) {
        let (seconds, attoseconds) = (ContinuousClock.now - start).components
        recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
