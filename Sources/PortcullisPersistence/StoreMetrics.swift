import CoreMetrics
import PortcullisPlatform

/// The store's metrics, by backend (`sqlite`, `postgres`): how long a unit of work waited for
/// a connection, connections in use and idle (idle for SQLite only: PostgreSQL's pool does not
/// say), and the errors units of work ended with, by kind.
enum StoreMetrics {
    static let wait = MetricFamily.timer("portcullis_db_connection_wait_seconds", labels: ["backend"])
    static let inUse = MetricFamily<Meter>(labels: ["backend"]) { Meter(label: "portcullis_db_connections_in_use", dimensions: $0) }
    static let idle = MetricFamily<Meter>(labels: ["backend"]) { Meter(label: "portcullis_db_connections_idle", dimensions: $0) }
    static let errors = MetricFamily.counter("portcullis_db_errors_total", labels: ["backend", "kind"])

    /// Runs a unit of work, counting the error it ends with.
    static func counting<Result>(_ backend: String, _ work: () async throws -> Result) async throws -> Result {
        do {
            return try await work()
        } catch {
            errors[backend, kind(of: error)].increment()
            throw error
        }
    }

    /// The `kind` label of an error a unit of work threw.
    static func kind(of error: any Error) -> String {
        switch error as? StoreError {
        case .uniqueViolation?: "unique_violation"
        case .unavailable?: "unavailable"
        case .sessionClosed?: "session_closed"
        case .unexpectedColumn?: "unexpected_column"
        case .invalidURL?: "invalid_url"
        case nil: "other"
        }
    }
}
