import Foundation
import HTTPTypes
import HummingbirdTesting
import OpenAPIKit
import PortcullisPlatform
import Testing
import TestSupport

@Suite("OpenAPI: /openapi.json and /docs")
struct OpenAPITests {
    static func document(_ client: any TestClientProtocol) async throws -> OpenAPI.Document {
        let reply = try await client.send(.get, "/openapi.json")
        #expect(reply.status == .ok)
        #expect(reply.headers[.contentType] == "application/json; charset=utf-8")
        return try JSONDecoder().decode(OpenAPI.Document.self, from: Data(reply.text.utf8))
    }

    /// `/users/:id` → `/users/{id}`.
    static func openAPIPath(_ path: String) -> String {
        "/" + path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
    }

    @Test("the document is valid OpenAPI 3.1")
    func documentIsValid() async throws {
        try await withTestApp { client, _, _ in
            let document = try await Self.document(client)
            #expect(document.openAPIVersion == .v3_1_1)
            try document.validate()
        }
    }

    @Test("every registered route is documented, and every documented route answers")
    func routesMatchTheDocument() async throws {
        try await withTestApp { client, app, _ in
            let document = try await Self.document(client)
            let documented = Set(document.routes.flatMap { route in
                route.pathItem.endpoints.map { "\($0.method.rawValue) \(route.path.rawValue)" }
            }.map { "\($0)".replacingOccurrences(of: " /", with: " /") })
            // WebSocket routes cannot be OpenAPI operations; the document's description names them.
            let firstSegments = Set(app.routes.map { String($0.path.dropFirst().prefix { $0 != "/" }) })
            #expect(firstSegments == OwnRoutes.firstSegments, "no gateway prefix may take one of these (OwnRoutes)")
            let webSocket = app.routes.filter { $0.path.hasPrefix("/ws/") }.map(\.path)
            #expect(webSocket.sorted() == ["/ws/broadcast", "/ws/chat", "/ws/echo", "/ws/pubsub"])
            for path in webSocket { #expect(document.info.description?.contains("`\(path)") == true, "\(path) is not described") }
            let registered = Set(app.routes.filter { !$0.path.hasPrefix("/ws/") }.map { "\($0.method) \(Self.openAPIPath($0.path))" })
            #expect(registered.isEmpty == false)
            #expect(registered == documented)

            let id = try await client.signUp("docs")
            for entry in documented.sorted() {
                let parts = entry.split(separator: " ", maxSplits: 1)
                let method = HTTPRequest.Method(String(parts[0]))!
                let uri = String(parts[1]).replacingOccurrences(of: "{id}", with: String(id))
                let reply = try await client.send(method, uri, body: method == .post ? "{}" : nil)
                #expect(reply.status != .notFound && reply.status != .methodNotAllowed, "\(entry) is documented but not served")
            }
        }
    }

    @Test("request schemas state the constraints the server enforces")
    func schemasCarryTheConstraints() async throws {
        try await withTestApp { client, _, _ in
            let json = try await client.send(.get, "/openapi.json").body
            let schemas = try #require(((json["components"] as? [String: Any])?["schemas"]) as? [String: Any])
            let newUser = try #require(schemas["NewUser"] as? [String: Any])
            #expect(newUser["additionalProperties"] as? Bool == false)
            #expect(Set(newUser["required"] as? [String] ?? []) == ["username", "email", "password"])
            let properties = try #require(newUser["properties"] as? [String: [String: Any]])
            #expect(properties["username"]?["minLength"] as? Int == 3)
            #expect(properties["username"]?["maxLength"] as? Int == 32)
            #expect(properties["username"]?["pattern"] as? String == "^[A-Za-z0-9_.-]*$")
            #expect(properties["email"]?["format"] as? String == "email")
            #expect(properties["email"]?["maxLength"] as? Int == 254)
            #expect(properties["password"]?["minLength"] as? Int == 8)
            #expect(properties["password"]?["maxLength"] as? Int == 128)
            #expect(properties["bio"]?["maxLength"] as? Int == 500)
            let paths = try #require(json["paths"] as? [String: Any])
            let list = try #require((paths["/api/users"] as? [String: Any])?["get"] as? [String: Any])
            #expect(list["security"] as? [[String: [String]]] == [["bearer": []]])
            let responses = try #require(list["responses"] as? [String: Any])
            #expect(responses["401"] != nil)
        }
    }

    @Test("/docs renders the document from its own script and style, no external asset")
    func docsPageIsSelfContained() async throws {
        try await withTestApp { client, _, _ in
            let page = try await client.send(.get, "/docs")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
            #expect(page.text.contains(#"<script src="/docs/docs.js""#))
            #expect(page.text.contains(#"href="/docs/docs.css""#))
            for (uri, type) in [("/docs/docs.js", "text/javascript; charset=utf-8"), ("/docs/docs.css", "text/css; charset=utf-8")] {
                let asset = try await client.send(.get, uri)
                #expect(asset.status == .ok)
                #expect(asset.headers[.contentType] == type)
                #expect(!asset.text.contains("http://") && !asset.text.contains("https://") && !asset.text.contains("//cdn"), "\(uri) loads nothing from elsewhere")
            }
            #expect(!page.text.contains("http://") && !page.text.contains("https://"))
        }
    }
}
