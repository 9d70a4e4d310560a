import HTTPTypes
import Hummingbird
import Metrics
import PortcullisPlatform

/// The request metrics of one process, through swift-metrics: requests by method, route
/// template (never the raw path) and status class, their duration by route, and the requests
/// in flight.
public final class HTTPMetrics: Sendable {
    private let requests = MetricFamily.counter("portcullis_http_requests_total", labels: ["method", "route", "status"])
    private let durations = MetricFamily.timer("portcullis_http_request_duration_seconds", labels: ["route"])
    private let inFlight = Meter(label: "portcullis_http_requests_in_flight")

    public init() {}

    /// A request entered the app.
    func started() { inFlight.increment() }

    /// A request was answered with `response`; `route` is its route template, nil when no
    /// route matched.
    func finished(_ request: Request, route: String?, response: Response, since started: ContinuousClock.Instant) {
        inFlight.decrement()
        let route = route ?? "unmatched"
        requests[Self.methodLabel(request.method), route, Self.statusClass(response.status.code)].increment()
        durations[route].recordInterval(since: started)
    }

    private static let statusClasses = ["1xx", "2xx", "3xx", "4xx", "5xx"]

    /// `2xx` and so on, without building the string for each request.
    public static func statusClass(_ code: Int) -> String {
        let index = code / 100 - 1
        return statusClasses.indices.contains(index) ? statusClasses[index] : "\(code / 100)xx"
    }

    static let knownMethods: Set<HTTPRequest.Method> = [.get, .head, .post, .put, .patch, .delete, .options]

    /// The method as a label: one of the methods the API knows, else `other`, so a client that
    /// invents methods cannot grow the series without bound.
    static func methodLabel(_ method: HTTPRequest.Method) -> String {
        knownMethods.contains(method) ? method.rawValue : "other"
    }
}
