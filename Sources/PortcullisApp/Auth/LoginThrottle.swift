import Foundation
import PortcullisPersistence

/// Counts failed logins per client address and per username in the database, so the limit
/// holds across every worker process and every node: after `maxFailures` failures within
/// ``window`` for either key, logins for it get 429 until the window that began with its first
/// failure has passed.
struct LoginThrottle: Sendable {
    let maxFailures: Int
    /// SPEC §2: "10 per 15 min".
    static let window: TimeInterval = 15 * 60

    /// The keys a login attempt counts against.
    static func keys(client: String, username: String) -> [String] {
        ["client:" + client, userKey(username)]
    }

    /// The key a username's failures count against, regardless of case.
    static func userKey(_ username: String) -> String { "user:" + username.lowercased() }

    /// Seconds until a login for `keys` may be tried again, nil when it may be tried now.
    func retryAfter(_ keys: [String], in session: any DatabaseSession, now: Date = Date()) async throws -> Int? {
        let cutoff = now.addingTimeInterval(-Self.window)
        var wait: TimeInterval = 0
        for key in keys {
            guard let row = try await session.first(
                "SELECT failures, window_start FROM login_failures WHERE key = \(key)"
            ) else { continue }
            let start = try row.date("window_start")
            if start > cutoff, try row.int("failures") >= maxFailures {
                wait = max(wait, start.addingTimeInterval(Self.window).timeIntervalSince(now))
            }
        }
        return wait > 0 ? max(1, Int(wait.rounded(.up))) : nil
    }

    /// Counts one failure against each key, starting a new window where the old one ran out.
    func recordFailure(_ keys: [String], in session: any DatabaseSession, now: Date = Date()) async throws {
        let cutoff = now.addingTimeInterval(-Self.window)
        for key in keys {
            try await session.query("""
                INSERT INTO login_failures (key, failures, window_start) VALUES (\(key), 1, \(.date(now)))
                ON CONFLICT (key) DO UPDATE SET
                    failures = CASE WHEN login_failures.window_start <= \(.date(cutoff)) THEN 1 ELSE login_failures.failures + 1 END,
                    window_start = CASE WHEN login_failures.window_start <= \(.date(cutoff)) THEN \(.date(now)) ELSE login_failures.window_start END
                """)
        }
    }

    /// Forgets the failures of a username after it logged in; the client address keeps its count.
    func recordSuccess(username: String, in session: any DatabaseSession) async throws {
        try await session.query("DELETE FROM login_failures WHERE key = \(Self.userKey(username))")
    }
}
