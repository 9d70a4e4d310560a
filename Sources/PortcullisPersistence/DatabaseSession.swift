import Synchronization

/// The connection a unit of work runs its statements on. It is valid only inside the
/// ``Store/transaction(_:)`` call that handed it out; using it afterwards throws
/// ``StoreError/sessionClosed``, so a session cannot leak into another request.
public protocol DatabaseSession: Sendable {
    var dialect: SQLDialect { get }
    /// Runs one statement and returns its rows (none for statements without `RETURNING`).
    @discardableResult
    func query(_ sql: SQL) async throws -> [DatabaseRow]
}

extension DatabaseSession {
    /// The first row of the statement's result, nil when there is none.
    public func first(_ sql: SQL) async throws -> DatabaseRow? {
        try await query(sql).first
    }
}

/// Whether a session's unit of work is still running; backends check it before each statement.
final class SessionScope: Sendable {
    private let open = Atomic<Bool>(true)

    func close() { open.store(false, ordering: .releasing) }

    func check() throws {
        guard open.load(ordering: .acquiring) else { throw StoreError.sessionClosed }
    }
}
