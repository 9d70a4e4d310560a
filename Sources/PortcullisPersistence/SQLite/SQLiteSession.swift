import Foundation
import NIOCore
import SQLiteNIO

/// A unit of work's statements on one SQLite connection.
struct SQLiteSession: DatabaseSession {
    let connection: SQLiteConnection
    let scope: SessionScope
    var dialect: SQLDialect { .sqlite }

    func query(_ sql: SQL) async throws -> [DatabaseRow] {
        try scope.check()
        let (text, binds) = sql.rendered(for: .sqlite)
        do {
            let rows = try await connection.query(text, binds.map(Self.bind))
            return rows.map(Self.row)
        } catch {
            throw Self.translate(error)
        }
    }

    /// Runs transaction control (`BEGIN`, `COMMIT`, `ROLLBACK`), which the scope does not guard.
    func control(_ statement: String) async throws {
        do {
            _ = try await connection.query(statement, [])
        } catch {
            throw Self.translate(error)
        }
    }

    static func bind(_ value: DatabaseValue) -> SQLiteData {
        switch value {
        case .null: .null
        case .integer(let number): .integer(SQLiteInt64(number))
        case .double(let number): .float(number)
        case .text(let text): .text(text)
        case .bool(let flag): .integer(flag ? 1 : 0)
        case .date(let date): .float(date.timeIntervalSince1970)
        }
    }

    static func row(_ row: SQLiteRow) -> DatabaseRow {
        var values: [String: DatabaseValue] = [:]
        for column in row.columns {
            switch column.data {
            case .integer(let number): values[column.name] = .integer(Int64(number))
            case .float(let number): values[column.name] = .double(number)
            case .text(let text): values[column.name] = .text(text)
            case .blob(let bytes): values[column.name] = .text(String(buffer: bytes))
            case .null: values[column.name] = .null
            }
        }
        return DatabaseRow(values)
    }

    /// SQLite's errors as the store's: a unique violation names its column, a lock that did
    /// not clear within the busy timeout is "unavailable".
    static func translate(_ error: any Error) -> any Error {
        guard let error = error as? SQLiteError else { return error }
        switch error.reason {
        case .constraint, .constraintUniqueFailed, .constraintPrimaryKeyFailed:
            let prefix = "UNIQUE constraint failed: "
            guard let range = error.message.range(of: prefix) else { return error }
            let columns = error.message[range.upperBound...].split(separator: ",")
            let column = columns.first.map { String($0.split(separator: ".").last ?? $0).trimmingCharacters(in: .whitespaces) } ?? ""
            return StoreError.uniqueViolation(column: column)
        case .busy, .busyTimeout, .locked, .busyInRecovery, .busyInSnapshot:
            return StoreError.unavailable("the database stayed locked for \(SQLiteConnectionPool.busyTimeoutMilliseconds) ms")
        case .cantOpen, .cantOpenDirectory, .cantOpenInvalidPath, .readOnly, .readonlyDirectory, .permission, .full, .ioError:
            return StoreError.unavailable(error.message)
        default:
            return error
        }
    }
}
