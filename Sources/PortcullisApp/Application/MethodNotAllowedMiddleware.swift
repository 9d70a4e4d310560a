import Hummingbird
import PortcullisHTTP

/// Turns the router's 404 into 405 with `Allow` when the path exists under other methods.
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            guard let allowed = routes.allowedMethods(for: request.uri.path), !allowed.contains(request.method.rawValue) else {
                throw error
            }
            throw APIError.methodNotAllowed(allowed: allowed)
        }
    }
}
