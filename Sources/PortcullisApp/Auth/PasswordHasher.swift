import Crypto
import CryptoExtras
import Foundation
import NIOCore
import NIOPosix
import PortcullisHTTP
import Synchronization

/// Hashes and checks passwords with scrypt (RFC 7914), memory-hard, on a thread pool of its
/// own so a login never blocks an event loop or the database's threads.
///
/// Each derivation holds 128·r·N bytes (32 MiB at the default cost) for its run, so the pool is
/// this worker's share of `security.password_hash_concurrency`, and at most
/// `security.password_hash_queue` more derivations wait for it: beyond that a request gets 503
/// with `Retry-After` at once, so a flood of sign-ups or logins costs a bounded amount of
/// memory and CPU however many connections carry it.
///
/// A hash is stored as `$scrypt$ln=15,r=8,p=1$<salt>$<key>` (base64, unpadded), so the cost
/// can be raised later and old hashes still verify with the cost they were made with.
public final class PasswordHasher: Sendable {
    /// log2 of scrypt's N: `security.password_hash_cost`. 15 costs 32 MiB and tens of milliseconds.
    public let cost: Int
    private static let blockSize = 8
    private static let parallelism = 1
    private static let keyBytes = 32
    private static let saltBytes = 16
    private let threads: NIOThreadPool
    /// Derivations running or waiting for a thread.
    private let admitted = Atomic<Int>(0)
    /// How many may be running or waiting at once.
    private let capacity: Int

    /// - Parameters:
    ///   - concurrency: derivations that run at once, each on a thread of its own.
    ///   - waiting: derivations that may wait for a thread; more are refused.
    public init(cost: Int, concurrency: Int = 1, waiting: Int = 1_000_000) {
        self.cost = cost
        capacity = max(1, concurrency) + max(0, waiting)
        threads = NIOThreadPool(numberOfThreads: max(1, concurrency))
        threads.start()
    }

    /// Derivations running or waiting now.
    var inFlight: Int { admitted.load(ordering: .relaxed) }

    deinit {
        threads.shutdownGracefully { _ in }
    }

    /// A new salted hash of `password`.
    public func hash(_ password: String) async throws -> String {
        let salt = (0..<Self.saltBytes).map { _ in UInt8.random(in: .min ... .max) }
        let key = try await derive(password, salt: salt, cost: cost, blockSize: Self.blockSize, parallelism: Self.parallelism)
        return "$scrypt$ln=\(cost),r=\(Self.blockSize),p=\(Self.parallelism)$"
            + Base64URL.encode(salt, urlSafe: false) + "$" + Base64URL.encode(key, urlSafe: false)
    }

    /// Whether `password` matches `encoded`. With `encoded` nil (no such user) it does the same
    /// work against a throw-away salt and says no, so the two cannot be told apart by timing.
    public func verify(_ password: String, against encoded: String?) async throws -> Bool {
        guard let encoded, let stored = StoredHash(encoded) else {
            _ = try await hash(password)
            return false
        }
        let key = try await derive(password, salt: stored.salt, cost: stored.cost, blockSize: stored.blockSize, parallelism: stored.parallelism)
        return Self.constantTimeEqual(key, stored.key)
    }

    /// Runs a derivation on the pool, or refuses it when the pool and its queue are full.
    private func derive(_ password: String, salt: [UInt8], cost: Int, blockSize: Int, parallelism: Int) async throws -> [UInt8] {
        guard admitted.add(1, ordering: .relaxed).newValue <= capacity else {
            admitted.subtract(1, ordering: .relaxed)
            throw APIError.unavailable("Too many passwords are being checked at once; retry shortly.")
        }
        defer { admitted.subtract(1, ordering: .relaxed) }
        return try await threads.runIfActive {
            try Self.deriveNow(password, salt: salt, cost: cost, blockSize: blockSize, parallelism: parallelism)
        }
    }

    private static func deriveNow(_ password: String, salt: [UInt8], cost: Int, blockSize: Int, parallelism: Int) throws -> [UInt8] {
        let key = try KDF.Scrypt.deriveKey(
            from: Array(password.utf8), salt: salt, outputByteCount: keyBytes,
            rounds: 1 << cost, blockSize: blockSize, parallelism: parallelism
        )
        return key.withUnsafeBytes { Array($0) }
    }

    private static func constantTimeEqual(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        guard left.count == right.count else { return false }
        return zip(left, right).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The parts of a stored hash; nil when it is not one of ours, or its parameters are out
    /// of the bounds any hash of ours has: a row must not make a login allocate gigabytes or
    /// overflow scrypt's arithmetic.
    struct StoredHash {
        let cost: Int
        let blockSize: Int
        let parallelism: Int
        let salt: [UInt8]
        let key: [UInt8]

        /// log2 of N, r and p as any hash of ours can have them (`security.password_hash_cost`
        /// allows 10–20; r and p are 8 and 1).
        static let costs = 1...20
        static let blockSizes = 1...16
        static let parallelisms = 1...4

        init?(_ encoded: String) {
            let parts = encoded.split(separator: "$", omittingEmptySubsequences: false)
            guard parts.count == 5, parts[0].isEmpty, parts[1] == "scrypt" else { return nil }
            var parameters: [Substring: Int] = [:]
            for pair in parts[2].split(separator: ",") {
                let nameValue = pair.split(separator: "=")
                guard nameValue.count == 2, let value = Int(nameValue[1]) else { return nil }
                parameters[nameValue[0]] = value
            }
            guard let cost = parameters["ln"], Self.costs.contains(cost),
                let blockSize = parameters["r"], Self.blockSizes.contains(blockSize),
                let parallelism = parameters["p"], Self.parallelisms.contains(parallelism),
                let salt = Base64URL.decode(parts[3]), let key = Base64URL.decode(parts[4]), key.count == keyBytes
            else { return nil }
            self.cost = cost
            self.blockSize = blockSize
            self.parallelism = parallelism
            self.salt = Array(salt)
            self.key = Array(key)
        }
    }
}
