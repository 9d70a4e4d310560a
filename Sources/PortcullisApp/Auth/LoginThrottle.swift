import Foundation
import PortcullisPersistence
import PortcullisPlatform
import Synchronization

/// Limits login attempts in the database, so the limits hold across every worker process and
/// every node. An attempt counts *before* its password is checked, in one transaction with the
/// check of the limits, so a burst of parallel guesses cannot all get past a limit; one that
/// would exceed a limit is refused with 429 and not counted. A successful login takes its
/// attempt back.
///
/// Three keys, each with its own limit over a window that begins with its first attempt:
/// the username from one client address (`security.login_max_failures`), the client address
/// (`…_per_client`: many users share one address behind a NAT or a proxy) and the username from
/// anywhere (`…_per_user`, high: a stranger must not lock a user out with a few tries). An IPv6
/// client counts as its /64, which one host usually holds whole.
final class LoginThrottle: Sendable {
    /// One counter and the limit it is held to.
    struct Key: Sendable, Equatable {
        let name: String
        let limit: Int
    }

    /// How long each key counts attempts from its first one: 15 minutes.
    static let window: TimeInterval = 15 * 60
    /// Attempts between two sweeps of expired counters in this process.
    static let pruneEvery = 256

    private let perPair: Int
    private let perClient: Int
    private let perUser: Int
    private let attempts = Atomic<Int>(0)

    init(config: PortcullisConfig.Security) {
        perPair = config.loginMaxFailures
        perClient = config.loginMaxFailuresPerClient
        perUser = config.loginMaxFailuresPerUser
    }

    /// The keys an attempt for `username` from `client` counts against, in the order every
    /// transaction takes them (so two never wait on each other's rows).
    func keys(client: String, username: String) -> [Key] {
        let user = username.lowercased()
        let address = Self.clientKey(client)
        return [
            Key(name: "client:" + address, limit: perClient),
            Key(name: "pair:" + user + " " + address, limit: perPair),
            Key(name: "user:" + user, limit: perUser),
        ]
    }

    /// The address a client is counted as: an IPv6 address's /64, any other text as it is.
    static func clientKey(_ client: String) -> String {
        guard let address = IPAddress(client), address.isV6 else { return client }
        let prefix = stride(from: 0, to: 8, by: 2).map { String(UInt16(address.bytes[$0]) << 8 | UInt16(address.bytes[$0 + 1]), radix: 16) }
        return prefix.joined(separator: ":") + "::/64"
    }

    /// Counts an attempt against every key. Returns the seconds until one may be tried again
    /// when a key is now over its limit; the caller then rolls the transaction back, so the
    /// refused attempt does not count.
    func admit(_ keys: [Key], in session: any DatabaseSession, now: Date = Date()) async throws -> Int? {
        if attempts.add(1, ordering: .relaxed).newValue % Self.pruneEvery == 0 {
            try await WindowCounter.prune(in: session, now: now)
        }
        var wait: Int?
        for key in keys {
            if let seconds = try await WindowCounter.count(key.name, limit: key.limit, window: Self.window, in: session, now: now) {
                wait = max(wait ?? 0, seconds)
            }
        }
        return wait
    }

    /// Takes back the attempt of a login that succeeded: the username's counters start again,
    /// and the client address's count drops by one.
    func succeeded(_ keys: [Key], in session: any DatabaseSession) async throws {
        for key in keys {
            if key.name.hasPrefix("client:") {
                try await WindowCounter.uncount(key.name, in: session)
            } else {
                try await WindowCounter.reset(key.name, in: session)
            }
        }
    }
}
