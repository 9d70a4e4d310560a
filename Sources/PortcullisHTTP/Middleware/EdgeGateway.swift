public import Hummingbird

/// Routes answered at the edge instead of by the router: the gateway's upstream routes, whose
/// bodies stream through instead of being collected under `server.max_body_bytes`.
public protocol EdgeGateway: Sendable {
    /// The gateway route `path` is under, or nil when it is not the gateway's.
    func route(for path: Substring) -> EdgeRoute?

    /// Answers `request`, which is under `route`, by way of the upstream; errors are rendered like any route's.
    func respond(to request: Request, route: EdgeRoute, context: AppRequestContext) async throws -> Response
}

/// A gateway route a request matched, found once per request.
public struct EdgeRoute: Sendable {
    /// The route's place in the gateway's table.
    public let index: Int
    /// Its prefix: the route label of metrics and rate limits.
    public let template: String

    public init(index: Int, template: String) {
        self.index = index
        self.template = template
    }
}
