import Hummingbird
import PortcullisPlatform

/// `GET /healthz` (the process answers) and `GET /readyz` (it should get traffic).
enum HealthBlueprint {
    struct Health: Encodable { let status: String }
    struct Ready: Encodable {
        let status: String
        let checks: [String: String]
    }

    static func make(readiness: Readiness) -> Blueprint {
        var blueprint = Blueprint(name: "health")
        blueprint.get("healthz") { _, _ in try JSONResponse.make(Health(status: "ok")) }
        blueprint.get("readyz") { _, _ in
            let report = await readiness.evaluate()
            guard report.isReady else { throw APIError.notReady(status: report.status, checks: report.checks) }
            return try JSONResponse.make(Ready(status: report.status, checks: report.checks))
        }
        return blueprint
    }
}
