import HTTPTypes
public import Hummingbird
import Metrics
import Synchronization

/// The request metrics of one process, through swift-metrics: requests by method, route
/// template (never the raw path) and status class, their duration by route, and the requests
/// in flight. Each series' handle is made once and kept, so a request costs a lookup, not a
/// registration.
public final class HTTPMetrics: Sendable {
    private struct Series: Hashable {
        let route: String
        let method: String
        let statusClass: String
    }

    private struct Handles {
        var requests: [Series: Counter] = [:]
        var durations: [String: Timer] = [:]
    }

    private let handles = Mutex(Handles())
    private let inFlight = Meter(label: "portcullis_http_requests_in_flight")

    public init() {}

    /// A request entered the app.
    func started() { inFlight.increment() }

    /// A request was answered with `response`; `route` is its route template, nil when no
    /// route matched.
    func finished(_ request: Request, route: String?, response: Response, since started: ContinuousClock.Instant) {
        inFlight.decrement()
        let series = Series(
            route: route ?? "unmatched", method: Self.methodLabel(request.method), statusClass: "\(response.status.code / 100)xx")
        let (counter, timer) = handles.withLock { handles in
            let counter = handles.requests[series] ?? {
                let made = Counter(label: "portcullis_http_requests_total", dimensions: [
                    ("method", series.method), ("route", series.route), ("status", series.statusClass),
                ])
                handles.requests[series] = made
                return made
            }()
            let timer = handles.durations[series.route] ?? {
                let made = Timer(label: "portcullis_http_request_duration_seconds", dimensions: [("route", series.route)])
                handles.durations[series.route] = made
                return made
            }()
            return (counter, timer)
        }
        counter.increment()
        timer.recordInterval(since: started)
    }
}

extension HTTPMetrics {
    static let knownMethods: Set<HTTPRequest.Method> = [.get, .head, .post, .put, .patch, .delete, .options]

    /// The method as a label: one of the methods the API knows, else `other`, so a client that
    /// invents methods cannot grow the series without bound.
    static func methodLabel(_ method: HTTPRequest.Method) -> String {
        knownMethods.contains(method) ? method.rawValue : "other"
    }
}

extension Timer {
    /// Records the time from `start` to now.
    fileprivate func recordInterval(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let (seconds, attoseconds) = elapsed.components
        recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
