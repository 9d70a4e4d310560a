import Foundation
import HTTPTypes
import OpenAPIKit

/// Builds the OpenAPI 3.1 document of every documented route, code first: from the routes'
/// ``RouteDoc``s and the ``BodySchema``s their handlers validate with.
enum OpenAPIDocument {
    static func make(blueprints: [Blueprint], version: String) -> OpenAPI.Document {
        var paths = OpenAPI.PathItem.Map()
        var schemas = ComponentSchemas.all
        for blueprint in blueprints {
            for route in blueprint.routes {
                guard let doc = route.doc else { continue }
                let path = OpenAPI.Path(rawValue: openAPIPath(blueprint.fullPath(of: route)))
                var item = paths[path]?.b ?? OpenAPI.PathItem()
                if let body = doc.requestBody { schemas[componentKey(body.name)] = body.jsonSchema }
                item[route.method.openAPIMethod] = operation(doc, path: blueprint.fullPath(of: route))
                paths[path] = .b(item)
            }
        }
        return OpenAPI.Document(
            openAPIVersion: .v3_1_1,
            info: .init(title: "Portcullis", description: description, version: version),
            servers: [],
            paths: paths,
            components: .init(
                schemas: schemas,
                securitySchemes: ["bearer": .b(.http(scheme: "bearer", bearerFormat: "JWT"))]
            )
        )
    }

    /// The document as the JSON `/openapi.json` serves.
    static func json(_ document: OpenAPI.Document) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(document)
    }

    private static let description = """
        The HTTP API of Portcullis. Every error has the body `Error` and an `X-Request-ID` header; \
        JSON bodies must be `application/json` (else 415), well-formed and at most 32 levels deep \
        (else 400), and must match their schema exactly — unknown fields included — (else 422 with \
        a problem per field in `details`).

        WebSocket routes, not listed below as OpenAPI cannot describe them: `/ws/echo` answers each         text message `m` with `Echo: m`; `/ws/chat?token=JWT` (or `Authorization: Bearer`) closes         with 1008 "Auth required" or "Invalid token", else relays each text message to every member         as `{"user","message"}`; `/ws/broadcast` sends every message to every client; `/ws/pubsub`         takes `{"type":"subscribe"|"unsubscribe","topic"}` and `{"type":"publish","topic","data"}`         frames and delivers `{"type":"message","topic","data"}`, answering a bad frame with         `{"type":"error","message"}`. A handshake from an `Origin` outside `cors.origins` gets 403; a         message over `ws.max_message_bytes` closes with 1009; a client that does not read is closed         with 1008 "slow consumer"; a stopping server closes with 1001.

        Rate limits (`limits`, a gateway route's `rate_limit`) may answer any route but the \
        probes with 429 `RateLimited`, `Retry-After`, `RateLimit` and `RateLimit-Policy`. Gateway \
        routes (`gateway.routes`, prefixes set in the configuration file, not listed below) proxy \
        to upstream services and add 502 `BadGateway`, 503 `ServiceUnavailable` (no upstream \
        available) and 504 `GatewayTimeout`.
        """

    private static func operation(_ doc: RouteDoc, path: String) -> OpenAPI.Operation {
        var responses = OpenAPI.Response.Map()
        var documented = doc.responses
        if doc.requestBody != nil {
            documented += [
                .init(400, "The body is not well-formed JSON or nests too deeply.", schema: "Error"),
                .init(413, "The body is larger than server.max_body_bytes.", schema: "Error"),
                .init(415, "The body is not application/json.", schema: "Error"),
                .init(422, "A field is missing, unknown or invalid; `details` maps each to its problem.", schema: "Error"),
            ]
        }
        if doc.bearer {
            documented.append(.init(401, "The bearer token is missing, invalid or expired (with WWW-Authenticate: Bearer).", schema: "Error"))
        }
        for response in documented.sorted(by: { $0.status < $1.status }) {
            let content: OpenAPI.Content.Map = response.schema.map {
                [.json: .b(OpenAPI.Content(schema: JSONSchema.reference(.component(named: $0))))]
            } ?? [:]
            responses[.status(code: response.status)] = .response(description: response.description, content: content)
        }
        var parameters = doc.parameters.map { OpenAPI.Parameter.Array.Element.b($0) }
        for segment in path.split(separator: "/") where segment.hasPrefix(":") {
            parameters.append(.b(.path(name: String(segment.dropFirst()), schema: .integer(minimum: (1, exclusive: false)))))
        }
        return OpenAPI.Operation(
            summary: doc.summary,
            description: doc.description,
            parameters: parameters,
            requestBody: doc.requestBody.map {
                OpenAPI.Request(content: [.json: .b(OpenAPI.Content(schema: JSONSchema.reference(.component(named: $0.name))))], required: true)
            },
            responses: responses,
            security: doc.bearer ? [[.component(named: "bearer"): []]] : nil
        )
    }

    static func componentKey(_ name: String) -> OpenAPI.ComponentKey {
        guard let key = OpenAPI.ComponentKey(rawValue: name) else { preconditionFailure("\(name) is not a valid component name") }
        return key
    }

    /// `/users/:id` → `/users/{id}`.
    static func openAPIPath(_ path: String) -> String {
        "/" + path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
    }
}

extension HTTPRequest.Method {
    var openAPIMethod: OpenAPI.HttpMethod {
        OpenAPI.HttpMethod(rawValue: rawValue) ?? .get
    }
}
