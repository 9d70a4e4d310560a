import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import TestSupport

@Suite("Users: sign up, read, list")
struct UsersTests {
    @Test("POST /users creates a user: 201, the user with a lower-cased username, no password", arguments: DatabaseBackend.allCases)
    func signUp(backend: DatabaseBackend) async throws {
        try await withTestApp(backend: backend) { client, _, _ in
            let reply = try await client.send(.post, "/users", body: #"{"username":"Alice.B","email":"Alice@Example.com","password":"correct horse","bio":"hi"}"#)
            #expect(reply.status == .created)
            let user = reply.body
            #expect(user["username"] as? String == "alice.b")
            #expect(user["email"] as? String == "Alice@Example.com")
            #expect(user["bio"] as? String == "hi")
            #expect((user["id"] as? Int ?? 0) > 0)
            #expect(user.keys.sorted() == ["bio", "created_at", "email", "id", "username"])
            #expect(try Date((user["created_at"] as? String) ?? "", strategy: .iso8601).timeIntervalSinceNow > -60)
            #expect(reply.headers[.location] == "/users/\(user["id"] as? Int ?? 0)")
            #expect(reply.headers[.contentType] == "application/json; charset=utf-8")

            let fetched = try await client.send(.get, "/users/\(user["id"] as? Int ?? 0)")
            #expect(fetched.status == .ok)
            #expect(fetched.body.keys.sorted() == ["bio", "created_at", "id", "username"])
            #expect(fetched.body["username"] as? String == "alice.b")
        }
    }

    @Test("a username or email taken in any case is a 409 naming the field", arguments: DatabaseBackend.allCases)
    func duplicatesConflict(backend: DatabaseBackend) async throws {
        try await withTestApp(backend: backend) { client, _, _ in
            try await client.signUp("bob", email: "Bob@Example.com")
            let sameName = try await client.send(.post, "/users", body: #"{"username":"BOB","email":"other@example.com","password":"correct horse"}"#)
            #expect(sameName.status == .conflict)
            #expect(sameName.body["error"] as? String == "Conflict")
            #expect(sameName.details == ["username": "is already taken"])
            let sameEmail = try await client.send(.post, "/users", body: #"{"username":"robert","email":"bob@EXAMPLE.com","password":"correct horse"}"#)
            #expect(sameEmail.status == .conflict)
            #expect(sameEmail.details == ["email": "is already taken"])
        }
    }

    @Test("GET /users/{id} shows the email only to the user themself", arguments: DatabaseBackend.allCases)
    func theEmailIsOnlyForTheUserThemself(backend: DatabaseBackend) async throws {
        try await withTestApp(backend: backend) { client, _, _ in
            let owner = try await client.signUp("owner")
            _ = try await client.signUp("other")
            let ownerToken = try await client.logIn("owner")
            let otherToken = try await client.logIn("other")
            let cases: [(String, HTTPFields, Bool)] = [
                ("no token", [:], false),
                ("a bad token", [.authorization: "Bearer not-a-token"], false),
                ("another user's token", [.authorization: "Bearer \(otherToken)"], false),
                ("the user's own token", [.authorization: "Bearer \(ownerToken)"], true),
            ]
            for (name, headers, seesEmail) in cases {
                let reply = try await client.send(.get, "/users/\(owner)", headers: headers)
                #expect(reply.status == .ok, "\(name)")
                #expect((reply.body["email"] as? String == "owner@example.com") == seesEmail, "\(name)")
                #expect(reply.body["username"] as? String == "owner", "\(name)")
            }
        }
    }

    @Test("GET /users/{id} of no user is a typed 404", arguments: DatabaseBackend.allCases)
    func unknownUserIs404(backend: DatabaseBackend) async throws {
        try await withTestApp(backend: backend) { client, _, _ in
            for uri in ["/users/4242", "/users/0", "/users/-1", "/users/abc", "/users/99999999999999999999"] {
                let reply = try await client.send(.get, uri)
                #expect(reply.status == .notFound, "\(uri)")
                #expect(reply.body["error"] as? String == "NotFound")
                #expect(reply.body["request_id"] as? String == reply.headers[.requestID])
            }
        }
    }

    @Test("GET /api/users pages through every user by cursor, in id order", arguments: DatabaseBackend.allCases)
    func cursorPagination(backend: DatabaseBackend) async throws {
        try await withTestApp(backend: backend) { client, _, _ in
            var ids: [Int] = []
            for index in 0..<5 { ids.append(try await client.signUp("user\(index)")) }
            let token = try await client.logIn("user0")
            var seen: [Int] = []
            var cursor: String?
            var pages = 0
            repeat {
                let uri = "/api/users?limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                let reply = try await client.send(.get, uri, headers: [.authorization: "Bearer \(token)"])
                #expect(reply.status == .ok)
                let items = reply.body["items"] as? [[String: Any]] ?? []
                #expect(items.count <= 2)
                seen += items.compactMap { $0["id"] as? Int }
                #expect(reply.body.keys.contains("next_cursor"), "next_cursor is always present, null on the last page")
                cursor = reply.body["next_cursor"] as? String
                pages += 1
            } while cursor != nil && pages < 10
            #expect(seen == ids)
            #expect(pages == 3)
        }
    }

    @Test("GET /api/users refuses a bad limit or cursor with 422 naming each")
    func badPageParameters() async throws {
        try await withTestApp { client, _, _ in
            try await client.signUp("carol")
            let token = try await client.logIn("carol")
            let reply = try await client.send(.get, "/api/users?limit=0&cursor=not-ours", headers: [.authorization: "Bearer \(token)"])
            #expect(reply.status == .unprocessableContent)
            #expect(reply.details.keys.sorted() == ["cursor", "limit"])
            let tooMany = try await client.send(.get, "/api/users?limit=101", headers: [.authorization: "Bearer \(token)"])
            #expect(tooMany.details == ["limit": "must be an integer from 1 to 100"])
        }
    }
}
