public import PortcullisPersistence

/// What the blueprints share in one serving process: the store, the password hasher, the
/// token service and the login throttle. Made once by the app factory.
public struct AppServices: Sendable {
    public let store: any Store
    public let passwords: PasswordHasher
    public let tokens: TokenService
    let throttle: LoginThrottle
}
