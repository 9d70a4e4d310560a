import Foundation

/// Applies the migrations a database lacks, all in one transaction, safe when several
/// processes or nodes start at once: on SQLite the transaction takes the write lock first
/// (`BEGIN IMMEDIATE`); on PostgreSQL it takes an advisory lock, so the second node waits,
/// then finds nothing left to do.
public enum Migrator {
    /// The advisory lock key on PostgreSQL: "portcullis" in ASCII, truncated to 63 bits.
    public static let lockKey: Int64 = 0x706F_7274_6375_6C6C

    /// Applies what is pending and returns it, in the order applied (empty when up to date).
    @discardableResult
    public static func migrate(_ store: any Store, migrations: [Migration] = Schema.migrations) async throws -> [Migration] {
        try await store.transaction(.write) { session in
            switch session.dialect {
            case .postgres:
                try await session.query("SELECT pg_advisory_xact_lock(\(lockKey))")
                try await session.query(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
                )
            case .sqlite:
                try await session.query(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)"
                )
            }
            let applied = Set(try await session.query("SELECT version FROM schema_migrations").map { try $0.int("version") })
            let pending = migrations.filter { !applied.contains(Int64($0.version)) }.sorted { $0.version < $1.version }
            for migration in pending {
                for statement in migration.statements(for: session.dialect) {
                    try await session.query(SQL(stringLiteral: statement))
                }
                try await session.query(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (\(migration.version), \(migration.name), \(.date(Date())))"
                )
            }
            return pending
        }
    }
}
