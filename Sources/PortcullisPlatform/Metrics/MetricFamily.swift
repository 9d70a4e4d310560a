public import CoreMetrics
import Synchronization

/// The swift-metrics handles of one metric, one per set of label values (up to three), each
/// made once and kept: recording then costs a lookup, not a registration with the backend.
/// The lookup is inlinable, so it is specialized where it is used: on the request path it
/// takes no allocation and no generic metadata.
public final class MetricFamily<Handle: Sendable>: Sendable {
    /// Up to three label values; the unused ones are empty.
    @usableFromInline
    struct Key: Hashable, Sendable {
        @usableFromInline let first: String
        @usableFromInline let second: String
        @usableFromInline let third: String

        @inlinable
        init(_ first: String, _ second: String = "", _ third: String = "") {
            self.first = first
            self.second = second
            self.third = third
        }
    }

    @usableFromInline let make: @Sendable (_ dimensions: [(String, String)]) -> Handle
    @usableFromInline let names: [String]
    @usableFromInline let handles = Mutex<[Key: Handle]>([:])

    /// - Parameters:
    ///   - labels: the label names (at most three), in the order ``subscript(_:)`` takes their values.
    ///   - make: makes the handle for one set of dimensions, such as `{ Counter(label: "x_total", dimensions: $0) }`.
    public init(labels: [String], make: @escaping @Sendable (_ dimensions: [(String, String)]) -> Handle) {
        self.names = Array(labels.prefix(3))
        self.make = make
    }

    /// The handle for this label value.
    @inlinable
    public subscript(_ first: String) -> Handle { handle(Key(first), [first]) }

    /// The handle for these label values, in the order of the label names.
    @inlinable
    public subscript(_ first: String, _ second: String) -> Handle { handle(Key(first, second), [first, second]) }

    /// The handle for these label values, in the order of the label names.
    @inlinable
    public subscript(_ first: String, _ second: String, _ third: String) -> Handle {
        handle(Key(first, second, third), [first, second, third])
    }

    /// `values` is an autoclosure so the array is only built when the handle is made.
    @inlinable
    func handle(_ key: Key, _ values: @autoclosure () -> [String]) -> Handle {
        handles.withLock { handles in
            if let handle = handles[key] { return handle }
            let handle = make(Array(zip(names, values())))
            handles[key] = handle
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
