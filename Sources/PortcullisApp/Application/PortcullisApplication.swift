public import Hummingbird
public import Logging
public import PortcullisHTTP
public import PortcullisPlatform
public import ServiceLifecycle

/// A built application: everything a server needs to answer requests and run the app's
/// lifecycle, made by ``AppFactory/makeApplication(config:loggers:customize:)``.
public struct PortcullisApplication: Sendable {
    public let config: PortcullisConfig
    /// Answers every request, middleware included.
    public let responder: RouterResponder<AppRequestContext>
    public let lifecycle: LifecycleHooks
    public let readiness: Readiness
    /// Carries broadcast, chat and pub/sub messages; links to other processes attach here.
    public let hub: Hub
    /// The open WebSockets, which a graceful stop closes with 1001.
    public let webSockets: WebSocketSessions
    /// Every route the router answers (HEAD excepted, which it adds wherever GET is).
    public let routes: [RegisteredRoute]
    /// What the process runs while it serves: started before the server, stopped after it in
    /// reverse order (the background tasks, then the store).
    public let services: [any Service]
    /// What the process runs beside its server (the job runner), drained together with it.
    public let workloads: [any Service]
    public let loggers: LoggerFactory
    public let logger: Logger
}
