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
        Migration(
            version: 2,
            name: "jobs",
            sqlite: [
                """
                CREATE TABLE jobs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    kind TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    owner_id INTEGER,
                    request_id TEXT,
                    idempotency_key TEXT UNIQUE,
                    state TEXT NOT NULL,
                    attempts INTEGER NOT NULL,
                    max_attempts INTEGER NOT NULL,
                    run_at REAL NOT NULL,
                    lease_token TEXT,
                    lease_expires_at REAL,
                    result TEXT,
                    error TEXT,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL
                )
                """,
                "CREATE INDEX jobs_due ON jobs (run_at) WHERE state IN ('queued', 'retrying')",
                "CREATE INDEX jobs_leased ON jobs (lease_expires_at) WHERE state = 'running'",
            ],
            postgres: [
                """
                CREATE TABLE jobs (
                    id BIGSERIAL PRIMARY KEY,
                    kind TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    owner_id BIGINT,
                    request_id TEXT,
                    idempotency_key TEXT UNIQUE,
                    state TEXT NOT NULL,
                    attempts BIGINT NOT NULL,
                    max_attempts BIGINT NOT NULL,
                    run_at TIMESTAMPTZ NOT NULL,
                    lease_token TEXT,
                    lease_expires_at TIMESTAMPTZ,
                    result TEXT,
                    error TEXT,
                    created_at TIMESTAMPTZ NOT NULL,
                    updated_at TIMESTAMPTZ NOT NULL
                )
                """,
                "CREATE INDEX jobs_due ON jobs (run_at) WHERE state IN ('queued', 'retrying')",
                "CREATE INDEX jobs_leased ON jobs (lease_expires_at) WHERE state = 'running'",
            ]
        ),
        Migration(
            version: 3,
            name: "hub messages",
            // Hub messages too large for a NOTIFY payload, kept a minute for the other nodes to
            // read. SQLite serves one node, whose workers the master links: it needs none.
            sqlite: [],
            postgres: [
                """
                CREATE TABLE hub_messages (
                    id BIGSERIAL PRIMARY KEY,
                    body TEXT NOT NULL,
                    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
                )
                """,
            ]
        ),
        Migration(
            version: 4,
            name: "job trace ids",
            // The W3C trace ID of the request that queued a job, which its runner's lines carry.
            sqlite: ["ALTER TABLE jobs ADD COLUMN trace_id TEXT"],
            postgres: ["ALTER TABLE jobs ADD COLUMN trace_id TEXT"]
        ),
    ]
}
