public import OpenAPIKit

/// What `/openapi.json` says about a route. The request body is the ``BodySchema`` the route
/// validates with, so the document shows exactly the constraints the server enforces.
public struct RouteDoc: Sendable {
    /// One documented response.
    public struct Response: Sendable {
        public let status: Int
        public let description: String
        /// A schema in `components.schemas` by name; nil for no body.
        public let schema: String?

        public init(_ status: Int, _ description: String, schema: String? = nil) {
            self.status = status
            self.description = description
            self.schema = schema
        }
    }

    public var summary: String
    public var description: String?
    public var requestBody: BodySchema?
    public var parameters: [OpenAPI.Parameter]
    public var responses: [Response]
    /// Whether the route needs `Authorization: Bearer <token>`.
    public var bearer: Bool

    public init(
        summary: String, description: String? = nil, requestBody: BodySchema? = nil,
        parameters: [OpenAPI.Parameter] = [], responses: [Response], bearer: Bool = false
    ) {
        self.summary = summary
        self.description = description
        self.requestBody = requestBody
        self.parameters = parameters
        self.responses = responses
        self.bearer = bearer
    }
}
