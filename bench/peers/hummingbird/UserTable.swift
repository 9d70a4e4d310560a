import Foundation
import Hummingbird
import NIOCore
import NIOPosix
import SQLiteNIO
import Synchronization

/// A user as `GET /users/{id}` shows it.
struct User: ResponseEncodable {
    let id: Int64
    let username: String
    let email: String
    let bio: String?
    let created_at: String
}

/// The users table on SQLite: one connection per CPU, taken in turn.
final class UserTable: Sendable {
    private let connections: [SQLiteConnection]
    private let next = Mutex(0)

    private init(connections: [SQLiteConnection]) {
        self.connections = connections
    }

    static func open(path: String) async throws -> UserTable {
        let threads = NIOThreadPool(numberOfThreads: System.coreCount)
        threads.start()
        var connections: [SQLiteConnection] = []
        for _ in 0..<System.coreCount {
            let connection = try await SQLiteConnection.open(
                storage: .file(path: path), threadPool: threads, on: MultiThreadedEventLoopGroup.singleton.any())
            _ = try await connection.query("PRAGMA journal_mode = WAL", [])
            connections.append(connection)
        }
        _ = try await connections[0].query("""
            CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY AUTOINCREMENT, username TEXT NOT NULL UNIQUE,
            email TEXT NOT NULL, password_hash TEXT NOT NULL, bio TEXT, created_at TEXT NOT NULL)
            """, [])
        return UserTable(connections: connections)
    }

    private var connection: SQLiteConnection {
        connections[next.withLock { index in
            index = (index + 1) % connections.count
            return index
        }]
    }

    func find(id: Int64) async throws -> User? {
        let rows = try await connection.query(
            "SELECT id, username, email, bio, created_at FROM users WHERE id = ?", [.integer(Int(id))])
        return rows.first.map { row in
            User(id: Int64(row.column("id")?.integer ?? 0), username: row.column("username")?.string ?? "",
                 email: row.column("email")?.string ?? "", bio: row.column("bio")?.string,
                 created_at: row.column("created_at")?.string ?? "")
        }
    }

    func credentials(username: String) async throws -> (id: Int64, hash: String)? {
        let rows = try await connection.query("SELECT id, password_hash FROM users WHERE username = ?", [.text(username)])
        return rows.first.flatMap { row in
            guard let id = row.column("id")?.integer, let hash = row.column("password_hash")?.string else { return nil }
            return (Int64(id), hash)
        }
    }

    func create(_ body: NewUser, hash: String) async throws -> User {
        let createdAt = Date().ISO8601Format()
        let rows = try await connection.query(
            "INSERT INTO users (username, email, password_hash, bio, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
            [.text(body.username!.lowercased()), .text(body.email!), .text(hash), body.bio.map { .text($0) } ?? .null, .text(createdAt)])
        let id = Int64(rows.first?.column("id")?.integer ?? 0)
        return User(id: id, username: body.username!.lowercased(), email: body.email!, bio: body.bio, created_at: createdAt)
    }
}
