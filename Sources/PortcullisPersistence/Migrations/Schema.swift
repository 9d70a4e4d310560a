/// The schema, as the list of migrations that build it. Append; never edit a released one.
public enum Schema {
    public static let migrations: [Migration] = [
        Migration(
            version: 1,
            name: "users and login failures",
            sqlite: [
                """
                CREATE TABLE users (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    username TEXT NOT NULL UNIQUE,
                    email TEXT NOT NULL,
                    email_key TEXT NOT NULL UNIQUE,
                    password_hash TEXT NOT NULL,
                    bio TEXT,
                    created_at REAL NOT NULL
                )
                """,
                """
                CREATE TABLE login_failures (
                    key TEXT PRIMARY KEY,
                    failures INTEGER NOT NULL,
                    window_start REAL NOT NULL
                )
                """,
            ],
            postgres: [
                """
                CREATE TABLE users (
                    id BIGSERIAL PRIMARY KEY,
                    username TEXT NOT NULL UNIQUE,
                    email TEXT NOT NULL,
                    email_key TEXT NOT NULL UNIQUE,
                    password_hash TEXT NOT NULL,
                    bio TEXT,
                    created_at TIMESTAMPTZ NOT NULL
                )
                """,
                """
                CREATE TABLE login_failures (
                    key TEXT PRIMARY KEY,
                    failures BIGINT NOT NULL,
                    window_start TIMESTAMPTZ NOT NULL
                )
                """,
            ]
        ),
    ]
}
