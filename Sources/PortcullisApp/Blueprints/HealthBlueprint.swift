import Hummingbird
import PortcullisHTTP

/// `GET /healthz` (the process answers) and `GET /readyz` (it should get traffic).
enum HealthBlueprint {
    struct Ready: Encodable {
        let status: String
        let checks: [String: String]
    }

    /// The probes' paths: rate limits never apply to them.
    static let paths: Set<String> = ["/healthz", "/readyz"]

    /// `{"status":"ok"}`, encoded once: liveness probes come often and the answer never changes.
    static let healthy = ByteBuffer(string: #"{"status":"ok"}"#)

    static func make(readiness: Readiness) -> Blueprint {
        var blueprint = Blueprint(name: "health")
        blueprint.get("healthz", doc: RouteDoc(
            summary: "Liveness: the process answers",
            responses: [.init(200, "Always, while the process can answer.", schema: "Health")]
        )) { _, _ in Response(status: .ok, headers: JSONResponse.headers, body: .init(byteBuffer: healthy)) }
        blueprint.get("readyz", doc: RouteDoc(
            summary: "Readiness: the server should get traffic",
            responses: [
                .init(200, "Serving, and every check (the database among them) passes.", schema: "Ready"),
                .init(503, "Draining, or a check fails: `NotReady`, with `details.status` and `details.checks`.", schema: "Error"),
            ]
        )) { _, _ in
            let report = await readiness.evaluate()
            guard report.isReady else { throw APIError.notReady(status: report.status, checks: report.checks) }
            return try JSONResponse.make(Ready(status: report.status, checks: report.checks))
        }
        return blueprint
    }
}
