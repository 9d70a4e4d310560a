import Foundation
import JWTKit

/// The claims of an access token: `sub` (the user id as a string), `iat`, `exp`, `iss`, `aud`, `jti`.
struct AccessClaims: JWTPayload {
    var sub: SubjectClaim
    var iat: IssuedAtClaim
    var exp: ExpirationClaim
    var iss: IssuerClaim
    var aud: AudienceClaim
    var jti: IDClaim

    /// The signature checks out; now the time. Issuer and audience are checked by ``TokenService``,
    /// which knows the configured values.
    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}
