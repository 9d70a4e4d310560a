/// The first path segments of Portcullis's own routes. A gateway prefix may not take one, so
/// `/users/` can never be sent upstream by mistake; a test checks this list against the app's
/// route table.
public enum OwnRoutes {
    public static let firstSegments: Set<String> = [
        "api", "auth", "docs", "healthz", "jobs", "openapi.json", "process-data", "readyz", "send-email", "users", "ws",
    ]
}
