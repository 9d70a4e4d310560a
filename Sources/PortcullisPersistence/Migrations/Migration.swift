/// One versioned change to the schema, written for each backend. Migrations are compiled
/// into the binary (``Schema/migrations``) and applied in version order, each exactly once.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    let sqlite: [String]
    let postgres: [String]

    func statements(for dialect: SQLDialect) -> [String] {
        switch dialect {
        case .sqlite: sqlite
        case .postgres: postgres
        }
    }
}
