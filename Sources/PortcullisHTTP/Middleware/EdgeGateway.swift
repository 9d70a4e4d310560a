public import Hummingbird

/// Routes answered at the edge instead of by the router: the gateway's upstream routes, whose
/// bodies stream through instead of being collected under `server.max_body_bytes`.
public protocol EdgeGateway: Sendable {
    /// The route template `path` belongs to (the gateway prefix), or nil when it is not the gateway's.
    func route(for path: Substring) -> String?

    /// Answers `request` by way of the upstream; errors are rendered like any route's.
    func respond(to request: Request, context: AppRequestContext) async throws -> Response
}
