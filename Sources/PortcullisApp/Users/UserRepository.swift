import Foundation
import PortcullisPersistence
import PortcullisHTTP

/// The `users` table. Usernames are stored lower-case; emails as given, with a lower-cased
/// copy (`email_key`) that carries the unique index, so both clash case-insensitively.
enum UserRepository {
    /// A new user; a clash on username or email is a 409 naming the field.
    static func create(
        username: String, email: String, passwordHash: String, bio: String?, in session: any DatabaseSession
    ) async throws -> User {
        do {
            let row = try await session.first("""
                INSERT INTO users (username, email, email_key, password_hash, bio, created_at)
                VALUES (\(username.lowercased()), \(email), \(email.lowercased()), \(passwordHash), \(bio), \(.date(Date())))
                RETURNING id, username, email, bio, created_at
                """)
            guard let row else { throw StoreError.unexpectedColumn("id") }
            return try user(from: row)
        } catch StoreError.uniqueViolation(let column) {
            let field = column == "email_key" ? "email" : "username"
            throw APIError.conflict("A user with this \(field) exists already.", fields: [field: "is already taken"])
        }
    }

    static func find(id: Int64, in session: any DatabaseSession) async throws -> User? {
        try await session.first("SELECT id, username, email, bio, created_at FROM users WHERE id = \(id)").map(user)
    }

    /// The id and password hash of a username, matched case-insensitively.
    static func credentials(username: String, in session: any DatabaseSession) async throws -> (id: Int64, hash: String)? {
        guard let row = try await session.first(
            "SELECT id, password_hash FROM users WHERE username = \(username.lowercased())"
        ) else { return nil }
        return (try row.int("id"), try row.string("password_hash"))
    }

    /// Up to `limit` users with ids above `after`, in id order.
    static func page(after: Int64, limit: Int, in session: any DatabaseSession) async throws -> [User] {
        try await session.query(
            "SELECT id, username, email, bio, created_at FROM users WHERE id > \(after) ORDER BY id LIMIT \(limit)"
        ).map(user)
    }

    private static func user(from row: DatabaseRow) throws -> User {
        User(
            id: try row.int("id"), username: try row.string("username"), email: try row.string("email"),
            bio: try row.optionalString("bio"), createdAt: try row.date("created_at")
        )
    }
}
