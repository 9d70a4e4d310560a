public import PortcullisJobs
public import PortcullisPersistence

/// What the blueprints share in one serving process: the store, the password hasher, the
/// token service, the login throttle, the job queue and its runner, and the background tasks.
/// Made once by the app factory.
public struct AppServices: Sendable {
    public let store: any Store
    public let passwords: PasswordHasher
    public let tokens: TokenService
    let throttle: LoginThrottle
    public let jobs: JobQueue
    public let runner: JobRunner
    public let background: BackgroundTasks
    let retention: JobRetention
}
