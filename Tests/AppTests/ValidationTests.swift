import HTTPTypes
import HummingbirdTesting
import Testing
import TestSupport

@Suite("Request bodies: strict JSON, typed errors")
struct ValidationTests {
    @Test("a body that is not JSON by its type is a 415, before anything is read")
    func wrongContentTypeIs415() async throws {
        try await withTestApp { client, _, _ in
            for type in ["text/plain", "application/x-www-form-urlencoded", "application/jsonp"] {
                let reply = try await client.send(.post, "/users", body: #"{"username":"dave"}"#, contentType: type)
                #expect(reply.status == .unsupportedMediaType, "\(type)")
                #expect(reply.body["error"] as? String == "UnsupportedMediaType")
            }
            let untyped = try await client.send(.post, "/users", body: "{}", contentType: nil)
            #expect(untyped.status == .unsupportedMediaType)
            let typed = try await client.send(.post, "/users", body: "{}", contentType: "Application/JSON; charset=utf-8")
            #expect(typed.status == .unprocessableContent, "a JSON type in any case, with parameters, is JSON")
        }
    }

    @Test("malformed JSON is a 400 MalformedJSON", arguments: [#"{"username":"#, "{username: 1}", "", "nul", #"{"a":1}}"#, "\u{FF}"])
    func malformedIs400(body: String) async throws {
        try await withTestApp { client, _, _ in
            let reply = try await client.send(.post, "/users", body: body)
            #expect(reply.status == .badRequest)
            #expect(reply.body["error"] as? String == "MalformedJSON")
        }
    }

    @Test("a 100 000-deep array or object is a 400, not a crash, and the server goes on serving")
    func deepNestingIs400() async throws {
        try await withTestApp { client, _, _ in
            for body in [String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000),
                         String(repeating: #"{"a":"#, count: 100_000)] {
                let reply = try await client.send(.post, "/users", body: body)
                #expect(reply.status == .badRequest)
                #expect(reply.body["message"] as? String == "The JSON body nests deeper than 32 levels.")
            }
            #expect(try await client.send(.get, "/healthz").status == .ok)
        }
    }

    @Test("brackets inside strings do not count as nesting")
    func bracketsInStringsAreText() async throws {
        try await withTestApp { client, _, _ in
            let brackets = String(repeating: "[{", count: 100)
            let reply = try await client.send(.post, "/users", body: #"{"username":"ann","email":"ann@example.com","password":"correct horse","bio":"\#(brackets)\"]"}"#)
            #expect(reply.status == .created)
        }
    }

    @Test("every wrong, missing and unknown field is named at once in a 422")
    func fieldProblemsAre422() async throws {
        try await withTestApp { client, _, _ in
            let reply = try await client.send(.post, "/users", body: #"{"username":5,"password":"short","bio":null,"admin":true}"#)
            #expect(reply.status == .unprocessableContent)
            #expect(reply.body["error"] as? String == "ValidationFailed")
            #expect(reply.details == [
                "username": "must be a string",
                "email": "is required",
                "password": "must be at least 8 characters",
                "admin": "is not a known field",
            ])
        }
    }

    @Test("the field rules of POST /users (docs/http.md)", arguments: [
        (#""username":"ab""#, "username", "must be at least 3 characters"),
        (#""username":"\#(String(repeating: "a", count: 33))""#, "username", "must be at most 32 characters"),
        (#""username":"bad name""#, "username", "may contain only A-Za-z0-9_.-"),
        (#""username":"émile""#, "username", "may contain only A-Za-z0-9_.-"),
        (#""email":"no-at-sign""#, "email", "must be a valid email address"),
        (#""email":"a@b""#, "email", "must be a valid email address"),
        (#""email":"a..b@example.com""#, "email", "must be a valid email address"),
        (#""email":"\#(String(repeating: "a", count: 64))@\#(String(repeating: "b", count: 63)).\#(String(repeating: "c", count: 63)).\#(String(repeating: "d", count: 58)).com""#, "email", "must be at most 254 characters"),
        (#""password":"\#(String(repeating: "p", count: 129))""#, "password", "must be at most 128 characters"),
        (#""bio":"\#(String(repeating: "b", count: 501))""#, "bio", "must be at most 500 characters"),
        (#""bio":["not","text"]"#, "bio", "must be a string"),
    ])
    func fieldRules(field: String, name: String, problem: String) async throws {
        try await withTestApp { client, _, _ in
            var fields = ["username": #""username":"erin""#, "email": #""email":"erin@example.com""#, "password": #""password":"correct horse""#]
            fields[name] = field
            let reply = try await client.send(.post, "/users", body: "{" + fields.values.joined(separator: ",") + "}")
            #expect(reply.status == .unprocessableContent)
            #expect(reply.details == [name: problem])
        }
    }

    @Test("a body that is JSON but not an object is a 422")
    func nonObjectIs422() async throws {
        try await withTestApp { client, _, _ in
            for body in ["[]", "42", #""text""#, "null"] {
                let reply = try await client.send(.post, "/users", body: body)
                #expect(reply.status == .unprocessableContent, "\(body)")
                #expect(reply.details == ["body": "must be a JSON object"])
            }
        }
    }
}
