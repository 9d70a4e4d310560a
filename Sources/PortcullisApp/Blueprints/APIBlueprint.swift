import Foundation
import Hummingbird
import OpenAPIKit
import PortcullisHTTP

/// `GET /api/users`: the user list, for authenticated clients, a page at a time.
enum APIBlueprint {
    static let defaultLimit = 20
    static let maximumLimit = 100

    /// A page of users; `next_cursor` is the opaque cursor of the next page (the last id this
    /// one held, base64url-encoded), `null` on the last page.
    struct Page: Encodable {
        let items: [User]
        let nextCursor: String?

        private enum CodingKeys: String, CodingKey {
            case items
            case nextCursor = "next_cursor"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(items, forKey: .items)
            try container.encode(nextCursor, forKey: .nextCursor)
        }
    }

    static func make(services: AppServices) -> Blueprint {
        var blueprint = Blueprint(name: "api", prefix: "api")
        blueprint.get("users", doc: RouteDoc(
            summary: "List users, oldest first",
            parameters: [
                .query(name: "limit", schema: .integer(
                    description: "Users per page.", maximum: (maximumLimit, exclusive: false), minimum: (1, exclusive: false),
                    defaultValue: .init(defaultLimit)
                )),
                .query(name: "cursor", schema: .string(description: "`next_cursor` of the previous page.", minLength: 1, maxLength: 64)),
            ],
            responses: [
                .init(200, "A page of users.", schema: "UserPage"),
                .init(422, "`limit` or `cursor` is invalid; `details` says which.", schema: "Error"),
            ],
            bearer: true
        )) { request, _ in
            _ = try await BearerAuth.userID(of: request, tokens: services.tokens)
            let (limit, after) = try pageRequest(request.uri.queryParameters)
            let users = try await services.store.transaction(.readOnly) { session in
                try await UserRepository.page(after: after, limit: limit + 1, in: session)
            }
            let items = Array(users.prefix(limit))
            let next = users.count > limit ? items.last.map { encodeCursor($0.id) } : nil
            return try JSONResponse.make(Page(items: items, nextCursor: next))
        }
        return blueprint
    }

    static func pageRequest(_ query: Parameters) throws(APIError) -> (limit: Int, after: Int64) {
        var problems: [String: String] = [:]
        var limit = defaultLimit
        if let text = query.get("limit") {
            if let value = Int(text), (1...maximumLimit).contains(value) {
                limit = value
            } else {
                problems["limit"] = "must be an integer from 1 to \(maximumLimit)"
            }
        }
        var after: Int64 = 0
        if let text = query.get("cursor") {
            if let id = decodeCursor(text) { after = id } else { problems["cursor"] = "is not a cursor this server issued" }
        }
        guard problems.isEmpty else { throw APIError.validationFailed(fields: problems) }
        return (limit, after)
    }

    static func encodeCursor(_ id: Int64) -> String {
        Base64URL.encode(Array("u:\(id)".utf8))
    }

    static func decodeCursor(_ cursor: String) -> Int64? {
        guard cursor.count <= 64 else { return nil }
        guard let data = Base64URL.decode(cursor), let text = String(data: data, encoding: .utf8), text.hasPrefix("u:"),
            let id = Int64(text.dropFirst(2)), id > 0
        else { return nil }
        return id
    }
}
