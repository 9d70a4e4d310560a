import Crypto
import CryptoExtras
import Foundation
import NIOCore
import NIOPosix

/// Hashes and checks passwords with scrypt (RFC 7914), memory-hard, on a thread pool of its
/// own so a login never blocks an event loop or the database's threads.
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

    public init(cost: Int) {
        self.cost = cost
        threads = NIOThreadPool(numberOfThreads: max(1, System.coreCount))
        threads.start()
    }

    deinit {
        threads.shutdownGracefully { _ in }
    }

    /// A new salted hash of `password`.
    public func hash(_ password: String) async throws -> String {
        let salt = (0..<Self.saltBytes).map { _ in UInt8.random(in: .min ... .max) }
        let cost = cost
        let key = try await threads.runIfActive {
            try Self.derive(password, salt: salt, cost: cost, blockSize: Self.blockSize, parallelism: Self.parallelism)
        }
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
        let key = try await threads.runIfActive {
            try Self.derive(password, salt: stored.salt, cost: stored.cost, blockSize: stored.blockSize, parallelism: stored.parallelism)
        }
        return Self.constantTimeEqual(key, stored.key)
    }

    private static func derive(_ password: String, salt: [UInt8], cost: Int, blockSize: Int, parallelism: Int) throws -> [UInt8] {
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

    /// The parts of a stored hash; nil when it is not one of ours.
    private struct StoredHash {
        let cost: Int
        let blockSize: Int
        let parallelism: Int
        let salt: [UInt8]
        let key: [UInt8]

        init?(_ encoded: String) {
            let parts = encoded.split(separator: "$", omittingEmptySubsequences: false)
            guard parts.count == 5, parts[0].isEmpty, parts[1] == "scrypt" else { return nil }
            var parameters: [Substring: Int] = [:]
            for pair in parts[2].split(separator: ",") {
                let nameValue = pair.split(separator: "=")
                guard nameValue.count == 2, let value = Int(nameValue[1]) else { return nil }
                parameters[nameValue[0]] = value
            }
            guard let cost = parameters["ln"], (1...30).contains(cost), let blockSize = parameters["r"],
                let parallelism = parameters["p"], let salt = Base64URL.decode(parts[3]), let key = Base64URL.decode(parts[4])
            else { return nil }
            self.cost = cost
            self.blockSize = blockSize
            self.parallelism = parallelism
            self.salt = Array(salt)
            self.key = Array(key)
        }
    }
}
