import Foundation

/// A `database.url`: `sqlite:///absolute/path.db` or `postgres://user:pass@host:port/db`.
public enum DatabaseURL: Sendable, Equatable {
    /// Where a PostgreSQL server is and how to log in to it.
    public struct Postgres: Sendable, Equatable {
        /// `sslmode=` in the URL's query, as libpq spells it.
        public enum TLSMode: String, Sendable, Equatable {
            case disable, prefer, require
        }

        public var host: String
        public var port: Int
        public var user: String
        public var password: String?
        public var database: String
        public var tls: TLSMode
    }

    case sqlite(path: String)
    case postgres(Postgres)

    /// Reads a URL, or says why it cannot be used.
    public static func parse(_ text: String) -> Result<DatabaseURL, ConfigValueError> {
        if text.hasPrefix("sqlite://") {
            let path = String(text.dropFirst("sqlite://".count))
            guard path.hasPrefix("/"), path.count > 1, !path.hasSuffix("/") else {
                return .failure(ConfigValueError("a sqlite URL needs an absolute file path, as in sqlite:///var/lib/portcullis/portcullis.db"))
            }
            return .success(.sqlite(path: path))
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme,
            scheme == "postgres" || scheme == "postgresql"
        else {
            return .failure(ConfigValueError("must start with sqlite:// or postgres://"))
        }
        guard let host = components.host, !host.isEmpty else {
            return .failure(ConfigValueError("a postgres URL needs a host"))
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty else { return .failure(ConfigValueError("a postgres URL needs a database name")) }
        guard let user = components.user, !user.isEmpty else { return .failure(ConfigValueError("a postgres URL needs a user")) }
        var tls = Postgres.TLSMode.prefer
        for item in components.queryItems ?? [] {
            guard item.name == "sslmode", let value = item.value, let mode = Postgres.TLSMode(rawValue: value) else {
                return .failure(ConfigValueError("a postgres URL takes only sslmode=disable, prefer or require after ?"))
            }
            tls = mode
        }
        return .success(.postgres(Postgres(
            host: host, port: components.port ?? 5432, user: user, password: components.password,
            database: database, tls: tls
        )))
    }

    /// The URL with its password replaced by `<redacted>`, for display.
    public static func redactingPassword(_ text: String) -> String {
        guard let scheme = text.range(of: "://"), let at = text.range(of: "@", options: .backwards),
            scheme.upperBound < at.lowerBound
        else { return text }
        let credentials = text[scheme.upperBound..<at.lowerBound]
        guard let colon = credentials.firstIndex(of: ":") else { return text }
        return String(text[..<text.index(after: colon)]) + "<redacted>" + String(text[at.lowerBound...])
    }
}

/// Why a configuration value cannot be used.
public struct ConfigValueError: Error, Sendable, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
}
