import PortcullisPlatform

/// The gateway's metrics, labelled by route prefix and upstream as the configuration writes
/// them (both from the file, so the series are bounded): every answer or failure of an
/// upstream, how long its response head took, and every time an upstream was taken out.
enum GatewayMetrics {
    /// `outcome`: the status class (`2xx` … `5xx`, `1xx` for a relayed WebSocket), or
    /// `unreachable`, `connect_timeout`, `timeout`, `request_body` (the client's body failed
    /// or passed the limit) or `failed`.
    static let responses = MetricFamily.counter("portcullis_upstream_responses_total", labels: ["route", "upstream", "outcome"])
    /// From the request sent to the response head received (or the WebSocket handshake done).
    static let latency = MetricFamily.timer("portcullis_upstream_response_seconds", labels: ["route", "upstream"])
    /// `reason`: `passive` (`max_fails` failures in a row) or `active` (a failed health check).
    static let ejections = MetricFamily.counter("portcullis_upstream_ejections_total", labels: ["route", "upstream", "reason"])
}
