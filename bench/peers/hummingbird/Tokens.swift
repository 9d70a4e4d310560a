import Foundation
import JWTKit

/// HS256 access tokens with the claims Portcullis issues.
struct Tokens: Sendable {
    struct Claims: JWTPayload {
        let sub: SubjectClaim
        let iat: IssuedAtClaim
        let exp: ExpirationClaim
        let iss: IssuerClaim
        let aud: AudienceClaim
        let jti: IDClaim

        func verify(using algorithm: some JWTAlgorithm) throws {}
    }

    private let keys = JWTKeyCollection()

    init() async {
        await keys.add(hmac: HMACKey(from: "bench-only-secret-bench-only-secret"), digestAlgorithm: .sha256)
    }

    func issue(userID: Int64) async throws -> String {
        let now = Date()
        return try await keys.sign(Claims(
            sub: SubjectClaim(value: String(userID)), iat: IssuedAtClaim(value: now),
            exp: ExpirationClaim(value: now.addingTimeInterval(900)), iss: IssuerClaim(value: "portcullis"),
            aud: AudienceClaim(value: ["portcullis-api"]), jti: IDClaim(value: UUID().uuidString)))
    }
}
