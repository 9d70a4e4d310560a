import Foundation
import PortcullisPersistence

/// Fixed-window counters in the database (the `login_failures` table, which holds any such
/// counter), so a limit holds across every worker process and every node. A count is taken
/// in the caller's write transaction with one atomic upsert per key: parallel requests wait
/// on each other's row and cannot all pass a limit at once.
enum WindowCounter {
    /// The longest window any counter uses; rows older than this are expired for every key.
    static let longestWindow: TimeInterval = 60 * 60

    /// Counts one against `key`, in a window of `window` seconds that starts with its first
    /// count. Returns the seconds until the window ends when the count is now over `limit`;
    /// the caller then rolls the transaction back, so what was refused does not count.
    static func count(
        _ key: String, limit: Int, window: TimeInterval, in session: any DatabaseSession, now: Date = Date()
    ) async throws -> Int? {
        let cutoff = now.addingTimeInterval(-window)
        guard let row = try await session.first("""
            INSERT INTO login_failures (key, failures, window_start) VALUES (\(key), 1, \(.date(now)))
            ON CONFLICT (key) DO UPDATE SET
                failures = CASE WHEN login_failures.window_start <= \(.date(cutoff)) THEN 1 ELSE login_failures.failures + 1 END,
                window_start = CASE WHEN login_failures.window_start <= \(.date(cutoff)) THEN \(.date(now)) ELSE login_failures.window_start END
            RETURNING failures, window_start
            """) else { return nil }
        guard try row.int("failures") > Int64(limit) else { return nil }
        let wait = try row.date("window_start").addingTimeInterval(window).timeIntervalSince(now)
        return max(1, Int(wait.rounded(.up)))
    }

    /// Takes one back from `key`.
    static func uncount(_ key: String, in session: any DatabaseSession) async throws {
        try await session.query("UPDATE login_failures SET failures = failures - 1 WHERE key = \(key) AND failures > 0")
    }

    /// Forgets `key`.
    static func reset(_ key: String, in session: any DatabaseSession) async throws {
        try await session.query("DELETE FROM login_failures WHERE key = \(key)")
    }

    /// Deletes every counter whose window ended.
    static func prune(in session: any DatabaseSession, now: Date = Date()) async throws {
        try await session.query("DELETE FROM login_failures WHERE window_start <= \(.date(now.addingTimeInterval(-longestWindow)))")
    }
}
