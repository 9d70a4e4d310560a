import Foundation
import JWTKit
import PortcullisHTTP
import PortcullisPlatform

/// Issues and verifies the HS256 access tokens of `POST /auth/login`.
///
/// Verification pins the algorithm: a token whose header says anything but `HS256` (`none`,
/// `HS512`, an RSA algorithm) is refused before its signature is looked at. Then the
/// signature, `exp`, `iat` (not in the future), `iss`, `aud`, `sub` and `jti` are checked.
public final class TokenService: Sendable {
    private let keys = JWTKeyCollection()
    private let secret: String
    private let issuer: String
    private let audience: String
    /// `security.jwt_ttl`.
    public let lifetime: Int
    /// How far a clock may run ahead of ours when it stamps `iat`.
    private static let leeway: TimeInterval = 60

    public init(security: PortcullisConfig.Security) {
        secret = security.jwtSecretKey
        issuer = security.jwtIssuer
        audience = security.jwtAudience
        lifetime = security.jwtTTL
    }

    /// Loads the signing key; run before serving.
    public func loadKey() async {
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
    }

    /// A signed token for `userID`.
    func issue(userID: Int64, now: Date = Date()) async throws -> String {
        let now = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let claims = AccessClaims(
            sub: SubjectClaim(value: String(userID)),
            iat: IssuedAtClaim(value: now),
            exp: ExpirationClaim(value: now.addingTimeInterval(TimeInterval(lifetime))),
            iss: IssuerClaim(value: issuer),
            aud: AudienceClaim(value: [audience]),
            jti: IDClaim(value: UUID().uuidString)
        )
        return try await keys.sign(claims)
    }

    /// The user id a valid token was issued for; any failure is a 401 that says no more than "invalid".
    func verify(_ token: String) async throws(APIError) -> Int64 {
        let invalid = APIError.unauthorized("The access token is invalid or has expired.")
        guard Self.headerAlgorithm(of: token) == "HS256" else { throw invalid }
        let claims: AccessClaims
        do {
            claims = try await keys.verify(token, as: AccessClaims.self)
        } catch {
            throw invalid
        }
        guard claims.iss.value == issuer, claims.aud.value.contains(audience),
            claims.iat.value <= Date().addingTimeInterval(Self.leeway), !claims.jti.value.isEmpty,
            let userID = Int64(claims.sub.value)
        else { throw invalid }
        return userID
    }

    /// The `alg` of the token's header, nil when the header is not a JSON object with a string `alg`.
    static func headerAlgorithm(of token: String) -> String? {
        guard let encoded = token.split(separator: ".", omittingEmptySubsequences: false).first else { return nil }
        guard let data = Base64URL.decode(encoded),
            let header = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return header["alg"] as? String
    }
}
