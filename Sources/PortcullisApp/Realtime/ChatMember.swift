import Hummingbird

/// Who opens `/ws/chat`: the user of the token in `?token=` or `Authorization: Bearer`.
enum ChatMember {
    enum Outcome: Sendable {
        case success(username: String)
        case failure(reason: String)

        /// The close reason a refused member gets ("Auth required", "Invalid token"); nil for a member.
        var reason: String? {
            if case .failure(let reason) = self { return reason }
            return nil
        }
    }

    static func authenticate(_ request: Request, services: AppServices) async -> Outcome {
        guard let token = token(of: request) else { return .failure(reason: "Auth required") }
        guard let userID = try? await services.tokens.verify(token),
            let user = try? await services.store.transaction(.readOnly, { session in try await UserRepository.find(id: userID, in: session) })
        else { return .failure(reason: "Invalid token") }
        return .success(username: user.username)
    }

    private static func token(of request: Request) -> String? {
        if let token = request.uri.queryParameters.get("token"), !token.isEmpty { return token }
        return request.headers[.authorization].flatMap(BearerAuth.token(in:))
    }
}
