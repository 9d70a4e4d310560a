public import Hummingbird
public import HTTPTypes
public import PortcullisHTTP

/// A route handler: takes the request and its context, returns a response or throws an ``APIError``.
public typealias RouteHandler = @Sendable (Request, AppRequestContext) async throws -> Response

/// A group of routes for one domain (health, users, auth…) under one path prefix, with its
/// own before- and after-request hooks — Quart's blueprint.
public struct Blueprint: Sendable {
    /// One route: its method, its path below the prefix, its handler and its documentation.
    public struct Route: Sendable {
        public let method: HTTPRequest.Method
        public let path: String
        /// What `/openapi.json` says about it; nil keeps it out of the document.
        public let doc: RouteDoc?
        let handler: RouteHandler
    }

    public let name: String
    /// The path prefix, `""` for the root or `/api` and the like.
    public let prefix: String
    public private(set) var routes: [Route] = []
    public private(set) var beforeRequest: [BeforeRequestHook] = []
    public private(set) var afterRequest: [AfterRequestHook] = []

    public init(name: String, prefix: String = "") {
        self.name = name
        self.prefix = prefix
    }

    /// Adds a route; `path` is relative to the prefix, with `:name` for parameters.
    public mutating func on(_ method: HTTPRequest.Method, _ path: String, doc: RouteDoc? = nil, _ handler: @escaping RouteHandler) {
        routes.append(Route(method: method, path: path, doc: doc, handler: handler))
    }

    public mutating func get(_ path: String, doc: RouteDoc? = nil, _ handler: @escaping RouteHandler) {
        on(.get, path, doc: doc, handler)
    }

    public mutating func post(_ path: String, doc: RouteDoc? = nil, _ handler: @escaping RouteHandler) {
        on(.post, path, doc: doc, handler)
    }

    /// Adds a hook that runs before each of this blueprint's routes.
    public mutating func beforeRequest(_ hook: @escaping BeforeRequestHook) { beforeRequest.append(hook) }
    /// Adds a hook that runs after each of this blueprint's routes.
    public mutating func afterRequest(_ hook: @escaping AfterRequestHook) { afterRequest.append(hook) }

    /// The full path of a route: prefix and path joined by one slash.
    public func fullPath(of route: Route) -> String {
        let joined = "/" + [prefix, route.path].flatMap { $0.split(separator: "/") }.joined(separator: "/")
        return joined
    }

    /// Adds the routes to the router in a group that runs this blueprint's hooks.
    func register(on router: Router<AppRequestContext>) {
        let group = router.group(RouterPath(prefix)).addHooks(before: beforeRequest, after: afterRequest)
        for route in routes {
            let handler = route.handler
            group.on(RouterPath(route.path), method: route.method) { request, context in try await handler(request, context) }
        }
    }
}
