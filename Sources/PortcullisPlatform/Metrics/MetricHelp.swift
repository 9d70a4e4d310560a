/// The help text of every metric the workers record through swift-metrics, which carries
/// none; the master adds it to the node's exposition. A family missing here has no `# HELP`
/// line, and `promtool check metrics` (a test) says so.
public enum MetricHelp {
    public static let text: [String: String] = [
        "portcullis_http_requests_total": "Requests answered, by method, route template and status class.",
        "portcullis_http_request_duration_seconds": "Time from a request's arrival to its response, by route template.",
        "portcullis_http_requests_in_flight": "Requests being answered now.",
        "portcullis_ws_sessions_open": "WebSocket sessions open now, by route.",
        "portcullis_ws_messages_received_total": "WebSocket messages received, by route.",
        "portcullis_ws_messages_sent_total": "WebSocket frames handed to connections.",
        "portcullis_job_runs_total": "Job attempts by kind and outcome (succeeded, retrying, dead, released, lost).",
        "portcullis_job_run_duration_seconds": "How long job attempts ran, by kind.",
        "portcullis_auth_logins_total": "Logins by outcome (success, failure, throttled).",
        "portcullis_db_connection_wait_seconds": "How long a unit of work waited for a database connection, by backend.",
        "portcullis_db_connections_in_use": "Database connections in use, by backend.",
        "portcullis_db_connections_idle": "Idle pooled database connections (SQLite).",
        "portcullis_db_errors_total": "Units of work that ended in a database error, by backend and kind.",
        "portcullis_ws_closes_total": "WebSocket connections ended, by the code of the first close frame and who sent it (1006 by none: no close frame).",
        "portcullis_ratelimit_total": "Requests a rate limit refused, delayed, or in dry run would have refused, by policy and outcome.",
        "portcullis_upstream_responses_total": "Gateway requests sent to an upstream, by route, upstream and outcome (status class, or how it failed).",
        "portcullis_upstream_response_seconds": "Time from a gateway request sent to its upstream's response head, by route and upstream.",
        "portcullis_upstream_ejections_total": "Times an upstream was taken out, by route, upstream and reason (passive: max_fails; active: health check).",
        "portcullis_queue_dropped_total": "Messages dropped by a full bounded queue, by the configuration key that bounds it and where it leads.",
        "portcullis_queue_bytes": "Bytes waiting in bounded queues, by the configuration key that bounds them and where they lead.",
        "portcullis_queue_limit_bytes": "Bytes the bounded queues may hold together, by configuration key and where they lead.",
    ]
}
