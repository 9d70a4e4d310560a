@testable import PortcullisApp
import PortcullisHTTP
import TestSupport
import Testing

/// Stored hashes come from a database row: any text must parse to a hash within bounds or
/// to nil, never to a trap or a derivation of gigabytes.
@Suite struct PasswordHasherTests {
    static let salt = "c2FsdHNhbHRzYWx0c2FsdA"
    static let key = "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"

    @Test func aHashOfOursParses() async throws {
        let hasher = PasswordHasher(cost: 10)
        let encoded = try await hasher.hash("correct horse battery")
        #expect(PasswordHasher.StoredHash(encoded) != nil)
        #expect(PasswordHasher.StoredHash("$scrypt$ln=20,r=16,p=4$\(Self.salt)$\(Self.key)") != nil)
        #expect(try await hasher.verify("correct horse battery", against: encoded))
        #expect(try await !hasher.verify("wrong horse battery", against: encoded))
    }

    @Test(arguments: [
        "$scrypt$ln=15,r=99999999999,p=1$\(salt)$\(key)",
        "$scrypt$ln=15,r=8,p=9223372036854775807$\(salt)$\(key)",
        "$scrypt$ln=15,r=-1,p=1$\(salt)$\(key)",
        "$scrypt$ln=62,r=8,p=1$\(salt)$\(key)",
        "$scrypt$ln=30,r=8,p=1$\(salt)$\(key)",
        "$scrypt$ln=15,r=8,p=0$\(salt)$\(key)",
        "$scrypt$ln=15,r=8$\(salt)$\(key)",
        "$scrypt$ln=15,r=8,p=1$\(salt)$a2V5",
        "$scrypt$ln=15,r=8,p=1$!!$\(key)",
        "$scrypt$ln=15,r=8,p=1,r$\(salt)$\(key)",
        "$bcrypt$ln=15,r=8,p=1$\(salt)$\(key)",
        "", "$", "$$$$", "$scrypt$$$",
    ])
    func aStoredHashOutOfBoundsIsNotOneOfOurs(_ encoded: String) async throws {
        #expect(PasswordHasher.StoredHash(encoded) == nil)
        #expect(try await !PasswordHasher(cost: 10).verify("anything at all", against: encoded))
    }

    /// With one thread and no queue, a second derivation while the first runs is refused at
    /// once with the 503 a client sees, and the first still completes.
    @Test func aDerivationBeyondThePoolAndItsQueueIsRefusedWith503() async throws {
        let hasher = PasswordHasher(cost: 16, concurrency: 1, waiting: 0)
        async let first = hasher.hash("correct horse battery")
        try await waitUntil("a derivation to start", interval: .milliseconds(1)) { hasher.inFlight > 0 }
        await #expect(throws: APIError.unavailable("Too many passwords are being checked at once; retry shortly.")) {
            _ = try await hasher.hash("another password")
        }
        #expect(PasswordHasher.StoredHash(try await first) != nil)
        #expect(hasher.inFlight == 0)
        #expect(APIError.unavailable("").status.code == 503)
        #expect(APIError.unavailable("").headers[.retryAfter] == "1")
    }
}
