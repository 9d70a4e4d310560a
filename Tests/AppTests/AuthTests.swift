import Foundation
import HTTPTypes
import HummingbirdTesting
import JWTKit
@testable import PortcullisApp
import Testing
import TestSupport

extension AccessClaims {
    /// Claims as the server issues them for `sub`; tests then spoil one to forge a bad token.
    static func valid(sub: String = "1", now: Date = Date()) -> AccessClaims {
        AccessClaims(
            sub: .init(value: sub), iat: .init(value: now), exp: .init(value: now.addingTimeInterval(300)),
            iss: .init(value: "portcullis"), aud: .init(value: ["portcullis-api"]), jti: .init(value: UUID().uuidString)
        )
    }
}

@Suite("Auth: login, tokens, the login limit")
struct AuthTests {
    /// Long enough for HS512 too (64 bytes), so "the right key with the wrong algorithm" can be made.
    static let jwtKey = "test-jwt-key-" + String(repeating: "0123456789abcdef", count: 4)

    /// A token signed with `key` and `digest`, as an attacker or a careless client might make one.
    static func sign(_ claims: AccessClaims, key: String = jwtKey, digest: DigestAlgorithm = .sha256) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: key), digestAlgorithm: digest)
        return try await keys.sign(claims)
    }

    @Test("POST /auth/login returns an HS256 bearer token with sub, iat, exp, iss, aud and jti", arguments: DatabaseBackend.allCases)
    func loginIssuesAToken(backend: DatabaseBackend) async throws {
        try await withTestApp(backend: backend, overrides: ["security.jwt_secret_key": Self.jwtKey, "security.jwt_ttl": "600"]) { client, _, _ in
            let id = try await client.signUp("frank")
            let reply = try await client.send(.post, "/auth/login", body: #"{"username":"FRANK","password":"correct horse battery"}"#)
            #expect(reply.status == .ok)
            #expect(reply.body["token_type"] as? String == "bearer")
            #expect(reply.body["expires_in"] as? Int == 600)
            let token = try #require(reply.body["access_token"] as? String)
            let parts = token.split(separator: ".")
            #expect(parts.count == 3)
            let header = try JSONSerialization.jsonObject(with: try #require(Base64URL.decode(parts[0]))) as? [String: Any]
            #expect(header?["alg"] as? String == "HS256")
            let payload = try #require(Base64URL.decode(parts[1]))
            let claims = try #require(try JSONSerialization.jsonObject(with: payload) as? [String: Any])
            #expect(claims["sub"] as? String == String(id))
            #expect(claims["iss"] as? String == "portcullis")
            #expect(claims["aud"] as? String == "portcullis-api" || claims["aud"] as? [String] == ["portcullis-api"])
            #expect((claims["jti"] as? String)?.isEmpty == false)
            let iat = try #require(claims["iat"] as? Double)
            #expect(claims["exp"] as? Double == iat + 600)
            #expect(abs(iat - Date().timeIntervalSince1970) < 60)
            let verified = try await JWTKeyCollection().add(hmac: HMACKey(from: Self.jwtKey), digestAlgorithm: .sha256)
                .verify(token, as: AccessClaims.self)
            #expect(verified.sub.value == String(id))
        }
    }

    @Test("an unknown user and a wrong password get the same 401", arguments: DatabaseBackend.allCases)
    func failuresLookAlike(backend: DatabaseBackend) async throws {
        try await withTestApp(backend: backend) { client, _, _ in
            try await client.signUp("grace")
            let wrongPassword = try await client.send(.post, "/auth/login", body: #"{"username":"grace","password":"not her password"}"#)
            let unknownUser = try await client.send(.post, "/auth/login", body: #"{"username":"nobody","password":"not her password"}"#)
            for reply in [wrongPassword, unknownUser] {
                #expect(reply.status == .unauthorized)
                #expect(reply.headers[.wwwAuthenticate] == "Bearer")
            }
            var first = wrongPassword.body
            var second = unknownUser.body
            first["request_id"] = nil
            second["request_id"] = nil
            #expect(NSDictionary(dictionary: first) == NSDictionary(dictionary: second))
        }
    }

    @Test("a route behind Bearer auth refuses every bad token with 401 and WWW-Authenticate", arguments: DatabaseBackend.allCases)
    func badTokensAre401(backend: DatabaseBackend) async throws {
        try await withTestApp(backend: backend, overrides: ["security.jwt_secret_key": Self.jwtKey]) { client, _, _ in
            let id = try await client.signUp("heidi")
            let now = Date()
            var expired = AccessClaims.valid(sub: String(id), now: now.addingTimeInterval(-1000))
            expired.exp = .init(value: now.addingTimeInterval(-10))
            var otherAudience = AccessClaims.valid(sub: String(id))
            otherAudience.aud = .init(value: ["someone-else"])
            var otherIssuer = AccessClaims.valid(sub: String(id))
            otherIssuer.iss = .init(value: "evil")
            var fromTheFuture = AccessClaims.valid(sub: String(id))
            fromTheFuture.iat = .init(value: now.addingTimeInterval(3600))
            var notAUser = AccessClaims.valid(sub: "admin")
            notAUser.sub = .init(value: "admin")
            let good = try await Self.sign(.valid(sub: String(id)))
            let goodParts = good.split(separator: ".")
            let noneHeader = Base64URL.encode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8))
            let cases: [(String, String?)] = [
                ("no header", nil),
                ("not bearer", "Basic aGVpZGk6cGFzcw=="),
                ("empty token", "Bearer "),
                ("garbage", "Bearer not.a.token"),
                ("alg none", "Bearer \(noneHeader).\(goodParts[1])."),
                ("HS512 with the right key", "Bearer " + (try await Self.sign(.valid(sub: String(id)), digest: .sha512))),
                ("another key", "Bearer " + (try await Self.sign(.valid(sub: String(id)), key: "some-other-key-" + String(repeating: "x", count: 40)))),
                ("expired", "Bearer " + (try await Self.sign(expired))),
                ("wrong audience", "Bearer " + (try await Self.sign(otherAudience))),
                ("wrong issuer", "Bearer " + (try await Self.sign(otherIssuer))),
                ("issued in the future", "Bearer " + (try await Self.sign(fromTheFuture))),
                ("sub not a user id", "Bearer " + (try await Self.sign(notAUser))),
                ("tampered payload", "Bearer \(goodParts[0]).\(goodParts[1])x.\(goodParts[2])"),
            ]
            for (name, authorization) in cases {
                var headers = HTTPFields()
                if let authorization { headers[.authorization] = authorization }
                let reply = try await client.send(.get, "/api/users", headers: headers)
                #expect(reply.status == .unauthorized, "\(name)")
                #expect(reply.headers[.wwwAuthenticate] == "Bearer", "\(name)")
                #expect(reply.body["error"] as? String == "Unauthorized", "\(name)")
            }
            let accepted = try await client.send(.get, "/api/users", headers: [.authorization: "Bearer \(good)"])
            #expect(accepted.status == .ok, "the control: a well-made token passes")
        }
    }

    @Test("after login_max_failures failures a username from one client gets 429 with Retry-After, even with its password", arguments: DatabaseBackend.allCases)
    func failuresPerUsernameAndClientAreLimited(backend: DatabaseBackend) async throws {
        try await withTestApp(backend: backend, overrides: ["security.login_max_failures": "3"]) { client, _, _ in
            try await client.signUp("ivan")
            for _ in 0..<3 {
                let reply = try await client.send(.post, "/auth/login", body: #"{"username":"ivan","password":"wrong password"}"#)
                #expect(reply.status == .unauthorized)
            }
            let limited = try await client.send(.post, "/auth/login", body: #"{"username":"Ivan","password":"correct horse battery"}"#)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.body["error"] as? String == "TooManyRequests")
            let retryAfter = try #require(limited.headers[.retryAfter].flatMap { Int($0) })
            #expect((1...900).contains(retryAfter))
            #expect(limited.body["details"] as? [String: Int] == ["retry_after": retryAfter])
        }
    }

    @Test("failures from one client address count across usernames", arguments: DatabaseBackend.allCases)
    func failuresPerClientAreLimited(backend: DatabaseBackend) async throws {
        try await withTestApp(backend: backend, overrides: ["security.login_max_failures_per_client": "3"]) { client, _, _ in
            try await client.signUp("judy")
            for name in ["x1", "x2", "x3"] {
                let reply = try await client.send(.post, "/auth/login", body: #"{"username":"\#(name)","password":"guess"}"#)
                #expect(reply.status == .unauthorized)
            }
            let limited = try await client.send(.post, "/auth/login", body: #"{"username":"judy","password":"correct horse battery"}"#)
            #expect(limited.status == .tooManyRequests)
        }
    }

    /// Every attempt counts before its password is checked, in one transaction with the check:
    /// of 100 parallel guesses only the limit's worth are checked, on SQLite and PostgreSQL.
    @Test("a burst of parallel wrong passwords gets at most the limit checked", arguments: DatabaseBackend.allCases)
    func aBurstOfGuessesCannotOvershootTheLimit(backend: DatabaseBackend) async throws {
        try await withTestApp(backend: backend) { client, _, _ in
            try await client.signUp("kate")
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<100 {
                    group.addTask {
                        Int(try await client.send(.post, "/auth/login", body: #"{"username":"kate","password":"wrong password"}"#).status.code)
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 401 }.count == 10)
            #expect(statuses.filter { $0 == 429 }.count == 90)
        }
    }

    @Test("a successful login takes its attempt back", arguments: DatabaseBackend.allCases)
    func aSuccessfulLoginDoesNotCount(backend: DatabaseBackend) async throws {
        try await withTestApp(backend: backend, overrides: ["security.login_max_failures": "2"]) { client, _, _ in
            try await client.signUp("leo")
            for _ in 0..<5 {
                let wrong = try await client.send(.post, "/auth/login", body: #"{"username":"leo","password":"wrong password"}"#)
                #expect(wrong.status == .unauthorized)
                let right = try await client.send(.post, "/auth/login", body: #"{"username":"leo","password":"correct horse battery"}"#)
                #expect(right.status == .ok)
            }
        }
    }

    @Test func anIPv6ClientCountsAsItsSlash64() {
        #expect(LoginThrottle.clientKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd") == "2001:db8:1:2::/64")
        #expect(LoginThrottle.clientKey("2001:db8:1:2::1") == LoginThrottle.clientKey("2001:db8:1:2:ffff::9"))
        #expect(LoginThrottle.clientKey("2001:db8:1:3::1") != LoginThrottle.clientKey("2001:db8:1:2::1"))
        #expect(LoginThrottle.clientKey("198.51.100.7") == "198.51.100.7")
        #expect(LoginThrottle.clientKey("unix") == "unix")
    }
}
