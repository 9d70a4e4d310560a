public import Logging
import PortcullisHTTP
public import PortcullisPlatform
import PortcullisPersistence

/// What `portcullis user add` does: the same rules and the same code as `POST /users`,
/// on a store of its own, after applying pending migrations.
public enum UserAdministration {
    /// Creates a user and returns its id. Throws ``APIError/validationFailed(fields:)`` when a
    /// field breaks the rules of `POST /users` and ``APIError/conflict(_:fields:)`` when the
    /// username or email is taken.
    public static func addUser(
        username: String, email: String, password: String, bio: String?, config: PortcullisConfig, logger: Logger
    ) async throws -> Int64 {
        var fields: [String: JSONValue] = ["username": .string(username), "email": .string(email), "password": .string(password)]
        if let bio { fields["bio"] = .string(bio) }
        let body = try UsersBlueprint.newUser.validate(.object(fields))
        try await AppFactory.migrate(config.database, logger: logger)
        let store = try StoreFactory.make(config.database, logger: logger)
        let passwords = PasswordHasher(cost: config.security.passwordHashCost)
        return try await store.whileRunning {
            try await UsersBlueprint.create(body, store: store, passwords: passwords).id
        }
    }
}
