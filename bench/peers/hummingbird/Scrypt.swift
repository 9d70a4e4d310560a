import Crypto
import CryptoExtras
import Foundation
import NIOCore
import NIOPosix

/// scrypt at Portcullis's default cost (N = 2^15, r = 8, p = 1), on a thread pool so the event
/// loops keep serving; stored as `salt$key` in base64.
struct Scrypt: Sendable {
    private let threads: NIOThreadPool

    init() {
        threads = NIOThreadPool(numberOfThreads: System.coreCount)
        threads.start()
    }

    func hash(_ password: String) async throws -> String {
        let salt = (0..<16).map { _ in UInt8.random(in: .min ... .max) }
        let key = try await derive(password, salt: salt)
        return Data(salt).base64EncodedString() + "$" + Data(key).base64EncodedString()
    }

    /// Whether `password` matches `stored`; with no stored hash it does the same work and says no.
    func verify(_ password: String, against stored: String?) async throws -> Bool {
        let parts = stored?.split(separator: "$").compactMap { Data(base64Encoded: String($0)) } ?? []
        guard parts.count == 2 else {
            _ = try await hash(password)
            return false
        }
        return try await derive(password, salt: Array(parts[0])) == Array(parts[1])
    }

    private func derive(_ password: String, salt: [UInt8]) async throws -> [UInt8] {
        try await threads.runIfActive {
            let key = try KDF.Scrypt.deriveKey(from: Array(password.utf8), salt: salt, outputByteCount: 32,
                                               rounds: 1 << 15, blockSize: 8, parallelism: 1)
            return key.withUnsafeBytes { Array($0) }
        }
    }
}
