import Foundation
import Logging
import NIOCore
import PostgresNIO

/// A unit of work's statements on one PostgreSQL connection.
struct PostgresSession: DatabaseSession {
    let connection: PostgresConnection
    let scope: SessionScope
    let logger: Logger
    var dialect: SQLDialect { .postgres }

    func query(_ sql: SQL) async throws -> [DatabaseRow] {
        try scope.check()
        let (text, binds) = sql.rendered(for: .postgres)
        var bindings = PostgresBindings(capacity: binds.count)
        for value in binds { Self.bind(value, into: &bindings) }
        do {
            var rows: [DatabaseRow] = []
            for try await row in try await connection.query(PostgresQuery(unsafeSQL: text, binds: bindings), logger: logger) {
                rows.append(try Self.row(row))
            }
            return rows
        } catch {
            throw Self.translate(error)
        }
    }

    /// Runs transaction control (`BEGIN`, `COMMIT`, `ROLLBACK`), which the scope does not guard.
    func control(_ statement: String) async throws {
        do {
            _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
        } catch {
            throw Self.translate(error)
        }
    }

    static func bind(_ value: DatabaseValue, into bindings: inout PostgresBindings) {
        switch value {
        case .null: bindings.appendNull()
        case .integer(let number): bindings.append(number)
        case .double(let number): bindings.append(number)
        case .text(let text): bindings.append(text)
        case .bool(let flag): bindings.append(flag)
        case .date(let date): bindings.append(date)
        }
    }

    static func row(_ row: PostgresRow) throws -> DatabaseRow {
        var values: [String: DatabaseValue] = [:]
        for cell in row {
            guard cell.bytes != nil else {
                values[cell.columnName] = .null
                continue
            }
            switch cell.dataType {
            case .int2, .int4, .int8: values[cell.columnName] = .integer(try cell.decode(Int64.self))
            case .float4, .float8: values[cell.columnName] = .double(try cell.decode(Double.self))
            case .bool: values[cell.columnName] = .bool(try cell.decode(Bool.self))
            case .timestamptz, .timestamp: values[cell.columnName] = .date(try cell.decode(Date.self))
            default: values[cell.columnName] = .text(try cell.decode(String.self))
            }
        }
        return DatabaseRow(values)
    }

    /// PostgreSQL's errors as the store's: a unique violation names the first column of its
    /// key, a lost or refused connection and a server shutting down are "unavailable".
    static func translate(_ error: any Error) -> any Error {
        guard let error = error as? PSQLError else { return error }
        switch error.code {
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            if state == "23505" {
                return StoreError.uniqueViolation(column: uniqueColumn(detail: error.serverInfo?[.detail] ?? ""))
            }
            if state.hasPrefix("57P") || state.hasPrefix("08") {
                return StoreError.unavailable(error.serverInfo?[.message] ?? "the server refused the connection")
            }
            return error
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed:
            return StoreError.unavailable("the connection to PostgreSQL failed (\(error.code))")
        default:
            return error
        }
    }

    /// `Key (email_key)=(a@b.c) already exists.` → `email_key`.
    static func uniqueColumn(detail: String) -> String {
        guard let open = detail.firstIndex(of: "("), let close = detail[open...].firstIndex(of: ")") else { return "" }
        let key = detail[detail.index(after: open)..<close]
        return String(key.split(separator: ",").first ?? key).trimmingCharacters(in: .whitespaces)
    }
}
