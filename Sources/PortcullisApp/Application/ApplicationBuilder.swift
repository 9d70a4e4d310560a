import Foundation
import Hummingbird
import NIOCore
import PortcullisHTTP
public import PortcullisPlatform
public import ServiceLifecycle

/// The application while it is being put together: blueprints, global hooks, lifecycle
/// hooks and readiness checks are registered here, then ``build()`` freezes it.
public struct ApplicationBuilder {
    public let config: PortcullisConfig
    public let loggers: LoggerFactory
    private var blueprints: [Blueprint] = []
    private var beforeRequest: [BeforeRequestHook] = []
    private var afterRequest: [AfterRequestHook] = []
    private var startup: [LifecycleHook] = []
    private var shutdown: [LifecycleHook] = []
    private var beforeServing: [LifecycleHook] = []
    private var afterServing: [LifecycleHook] = []
    private var services: [any Service] = []
    private var workloads: [any Service] = []
    /// What `/readyz` reports; blueprints that serve it take it from here.
    public let readiness = Readiness()
    /// The process's publish/subscribe hub, which the WebSocket routes share.
    public let hub = Hub()
    /// The process's WebSocket connections.
    public let webSockets: WebSocketSessions
    /// The IDs of the requests and WebSocket sessions this process is serving.
    public let inFlight: InFlightRequests
    /// The upstream routes (`gateway.routes`), answered at the edge; nil when there are none.
    var gateway: (any EdgeGateway)?
    /// The rate limits (`limits`, the routes' `rate_limit`); nil when there are none.
    var limiter: RateLimiter?

    init(config: PortcullisConfig, loggers: LoggerFactory, inFlight: InFlightRequests) {
        self.config = config
        self.loggers = loggers
        self.inFlight = inFlight
        self.webSockets = WebSocketSessions(limit: config.ws.maxConnections)
    }

    public mutating func register(_ blueprint: Blueprint) { blueprints.append(blueprint) }
    /// Adds a hook that runs before every route of every blueprint.
    public mutating func beforeRequest(_ hook: @escaping BeforeRequestHook) { beforeRequest.append(hook) }
    /// Adds a hook that runs after every route of every blueprint.
    public mutating func afterRequest(_ hook: @escaping AfterRequestHook) { afterRequest.append(hook) }
    /// Adds work that must happen once before any worker serves a configuration — creating the
    /// state directory, migrating the database. `serve` runs it in the master at start and
    /// again before a reload's new generation; a failure stops the start or refuses the reload.
    public mutating func atStartup(_ name: String, _ run: @escaping @Sendable () async throws -> Void) {
        startup.append(LifecycleHook(name: name, run: run))
    }
    /// Adds work that must happen once after the last worker stopped (releasing what a
    /// start-up hook took). `serve` runs it in the master when it stops, once for each
    /// configuration whose start-up work ran; failures are logged.
    public mutating func atShutdown(_ name: String, _ run: @escaping @Sendable () async throws -> Void) {
        shutdown.append(LifecycleHook(name: name, run: run))
    }
    /// Adds work each serving process does before it serves (opening its own connections).
    public mutating func beforeServing(_ name: String, _ run: @escaping @Sendable () async throws -> Void) {
        beforeServing.append(LifecycleHook(name: name, run: run))
    }
    /// Adds work each serving process does after it stopped serving, also after a failed start.
    public mutating func afterServing(_ name: String, _ run: @escaping @Sendable () async throws -> Void) {
        afterServing.append(LifecycleHook(name: name, run: run))
    }
    public func addReadinessCheck(_ check: Readiness.Check) { readiness.add(check) }
    /// Adds a service each serving process runs while it serves (the store's connection pool);
    /// it starts before the server and stops after it.
    public mutating func addService(_ service: any Service) { services.append(service) }
    /// Adds work each serving process does beside answering requests (the job runner). A
    /// graceful stop drains it at the same time as the server's connections, with the same
    /// budget, before the services stop.
    public mutating func addWorkload(_ workload: any Service) { workloads.append(workload) }

    /// Registers `/openapi.json` and `/docs`, documenting every route registered so far that
    /// carries a ``RouteDoc`` — theirs included.
    mutating func registerDocs(version: String) {
        let documented = blueprints + [DocsBlueprint.make(document: DocumentCache { ByteBuffer() })]
        register(DocsBlueprint.make(document: DocumentCache {
            ByteBuffer(data: try OpenAPIDocument.json(OpenAPIDocument.make(blueprints: documented, version: version)))
        }))
    }

    /// Puts the middleware stack in order — the edge (identity, compression, access log,
    /// headers, CORS, errors, body limit), 405, global hooks — and mounts every blueprint under it.
    func build() -> PortcullisApplication {
        let router = Router(context: AppRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: EdgeMiddleware(
            identity: RequestIdentity(trustedProxies: TrustedProxies(config.server.trustedProxies, header: config.server.forwardedHeader)),
            compression: config.server.compression ? ResponseCompression(minimumBytes: config.server.compressionMinBytes) : nil,
            accessLog: AccessLog(loggers: loggers),
            headers: SecurityHeaders(),
            cors: CORSPolicy(origins: config.cors.origins, allowCredentials: config.cors.allowCredentials),
            errors: ErrorResponses(logger: loggers.logger("portcullis.http")),
            bodyLimit: BodyLimit(limit: config.server.maxBodyBytes),
            inFlight: inFlight,
            metrics: HTTPMetrics(),
            gateway: gateway,
            limiter: limiter
        ))
        var table = RouteTable()
        for blueprint in blueprints {
            for route in blueprint.routes {
                table.add(path: blueprint.fullPath(of: route), method: route.method.rawValue)
            }
        }
        router.add(middleware: MethodNotAllowedMiddleware(routes: table))
        router.addHooks(before: beforeRequest, after: afterRequest)
        for blueprint in blueprints { blueprint.register(on: router) }
        return PortcullisApplication(
            config: config,
            responder: router.buildResponder(),
            lifecycle: LifecycleHooks(startup: startup, shutdown: shutdown, beforeServing: beforeServing, afterServing: afterServing),
            readiness: readiness,
            hub: hub,
            webSockets: webSockets,
            routes: table.routes,
            services: services,
            workloads: workloads,
            loggers: loggers,
            logger: loggers.logger("portcullis.app")
        )
    }
}
