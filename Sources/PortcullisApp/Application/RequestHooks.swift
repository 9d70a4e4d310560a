public import Hummingbird
public import PortcullisHTTP

/// Runs before a request reaches its route; may change the context, or throw an ``APIError`` to answer at once.
public typealias BeforeRequestHook = @Sendable (Request, inout AppRequestContext) async throws -> Void
/// Runs after a route answered; may change the response.
public typealias AfterRequestHook = @Sendable (Request, AppRequestContext, inout Response) async throws -> Void

/// Runs a set of before- and after-request hooks around the routes it wraps: globally, or
/// around one blueprint's routes.
struct RequestHooksMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    let before: [BeforeRequestHook]
    let after: [AfterRequestHook]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        for hook in before { try await hook(request, &context) }
        var response = try await next(request, context)
        for hook in after { try await hook(request, context, &response) }
        return response
    }
}

extension RouterMethods where Context == AppRequestContext {
    /// Runs the hooks around everything this router or group answers. Without hooks it adds
    /// nothing: an empty layer would still cost every request an async call.
    @discardableResult
    func addHooks(before: [BeforeRequestHook], after: [AfterRequestHook]) -> Self {
        guard !before.isEmpty || !after.isEmpty else { return self }
        return add(middleware: RequestHooksMiddleware(before: before, after: after))
    }
}
