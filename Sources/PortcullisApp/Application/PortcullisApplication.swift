public import Hummingbird
public import Logging
public import PortcullisPlatform

/// A built application: everything a server needs to answer requests and run the app's
/// lifecycle, made by ``AppFactory/makeApplication(config:loggers:customize:)``.
public struct PortcullisApplication: Sendable {
    public let config: PortcullisConfig
    /// Answers every request, middleware included.
    public let responder: RouterResponder<AppRequestContext>
    public let lifecycle: LifecycleHooks
    public let readiness: Readiness
    public let loggers: LoggerFactory
    public let logger: Logger
}
