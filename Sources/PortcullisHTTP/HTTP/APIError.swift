public import HTTPTypes
import Hummingbird
import PortcullisPlatform

/// Every error a client can see, each with a stable code; ``ErrorResponses`` turns
/// them into the JSON error body in one place.
public enum APIError: Error, Sendable, Equatable {
    /// 400: the request cannot be understood.
    case badRequest(String)
    /// 400: the body is not well-formed JSON, or breaks a size or depth limit.
    case malformedJSON(String)
    /// 400: the HTTP/1.1 parser refused the request itself; the connection closes.
    case malformedRequest(String)
    /// 431: the request's header section is larger than the parser accepts; the connection closes.
    case headerFieldsTooLarge
    /// 401, with `WWW-Authenticate: Bearer`.
    case unauthorized(String)
    /// 403.
    case forbidden(String)
    /// 404.
    case notFound(String)
    /// 405, with `Allow`.
    case methodNotAllowed(allowed: [String])
    /// 409: the resource exists already; `fields` maps each clashing field to its problem.
    case conflict(String, fields: [String: String] = [:])
    /// 413: the body is larger than `server.max_body_bytes`.
    case payloadTooLarge(limit: Int)
    /// 415: the body is not of a type the route accepts.
    case unsupportedMediaType(String)
    /// 422: the body is well-formed but its fields are not; `fields` maps each field to its problem.
    case validationFailed(fields: [String: String])
    /// 429, with `Retry-After` in seconds: too many failed logins or emails.
    case tooManyRequests(retryAfter: Int)
    /// 429 from a rate limit (`limits`, a gateway route's `rate_limit`), with `Retry-After`.
    case rateLimited(retryAfter: Int)
    /// 500: never says why; the cause is in the log.
    case internalError
    /// 426: a WebSocket route asked for without a WebSocket handshake.
    case upgradeRequired(String)
    /// 503: a dependency (the database) is down; `Retry-After` says when to try again.
    case unavailable(String)
    /// 503 from `/readyz`: `status` is `draining` or `unavailable`.
    case notReady(status: String, checks: [String: String])
    /// 502: the upstream of a gateway route failed or answered something that is not HTTP.
    case badGateway(String)
    /// 504: the upstream of a gateway route did not answer in time.
    case gatewayTimeout(String)

    public var status: HTTPResponse.Status {
        switch self {
        case .badRequest, .malformedJSON, .malformedRequest: .badRequest
        case .headerFieldsTooLarge: .requestHeaderFieldsTooLarge
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .conflict: .conflict
        case .payloadTooLarge: .contentTooLarge
        case .unsupportedMediaType: .unsupportedMediaType
        case .validationFailed: .unprocessableContent
        case .tooManyRequests, .rateLimited: .tooManyRequests
        case .internalError: .internalServerError
        case .upgradeRequired: .upgradeRequired
        case .unavailable, .notReady: .serviceUnavailable
        case .badGateway: .badGateway
        case .gatewayTimeout: .gatewayTimeout
        }
    }

    /// The stable, CamelCase code clients match on.
    public var code: String {
        switch self {
        case .badRequest, .malformedRequest: "BadRequest"
        case .headerFieldsTooLarge: "RequestHeaderFieldsTooLarge"
        case .malformedJSON: "MalformedJSON"
        case .unauthorized: "Unauthorized"
        case .forbidden: "Forbidden"
        case .notFound: "NotFound"
        case .methodNotAllowed: "MethodNotAllowed"
        case .conflict: "Conflict"
        case .payloadTooLarge: "PayloadTooLarge"
        case .unsupportedMediaType: "UnsupportedMediaType"
        case .validationFailed: "ValidationFailed"
        case .tooManyRequests: "TooManyRequests"
        case .rateLimited: "RateLimited"
        case .internalError: "InternalServerError"
        case .upgradeRequired: "UpgradeRequired"
        case .unavailable: "ServiceUnavailable"
        case .notReady: "NotReady"
        case .badGateway: "BadGateway"
        case .gatewayTimeout: "GatewayTimeout"
        }
    }

    public var message: String {
        switch self {
        case .badRequest(let text), .malformedJSON(let text), .unauthorized(let text), .forbidden(let text),
            .notFound(let text), .conflict(let text, _), .unsupportedMediaType(let text), .unavailable(let text),
            .upgradeRequired(let text), .malformedRequest(let text), .badGateway(let text), .gatewayTimeout(let text):
            text
        case .headerFieldsTooLarge: "The request's header section is too large."
        case .methodNotAllowed: "This route does not accept that method."
        case .payloadTooLarge(let limit): "The request body is larger than \(limit) bytes."
        case .validationFailed: "The request body has invalid fields."
        case .tooManyRequests(let seconds): "Too many requests; retry in \(seconds) s."
        case .rateLimited(let seconds): "Rate limit exceeded; retry in \(seconds) s."
        case .internalError: "The server could not complete the request."
        case .notReady(let status, _): "The server is not ready (\(status))."
        }
    }

    public var details: JSONValue {
        switch self {
        case .methodNotAllowed(let allowed): ["allowed": .array(allowed.map { .string($0) })]
        case .payloadTooLarge(let limit): ["limit_bytes": .int(limit)]
        case .validationFailed(let fields), .conflict(_, let fields): .object(fields.mapValues { .string($0) })
        case .tooManyRequests(let seconds), .rateLimited(let seconds): ["retry_after": .int(seconds)]
        case .notReady(let status, let checks): ["status": .string(status), "checks": .object(checks.mapValues { .string($0) })]
        default: .object([:])
        }
    }

    /// Headers the status requires: `Allow`, `WWW-Authenticate`, `Retry-After`, and
    /// `Connection: close` where the rest of the request is not worth reading.
    public var headers: HTTPFields {
        var fields = HTTPFields()
        switch self {
        case .methodNotAllowed(let allowed): fields[.allow] = allowed.joined(separator: ", ")
        case .unauthorized: fields[.wwwAuthenticate] = "Bearer"
        case .tooManyRequests(let seconds), .rateLimited(let seconds): fields[.retryAfter] = String(seconds)
        case .unavailable: fields[.retryAfter] = "1"
        case .payloadTooLarge, .malformedRequest, .headerFieldsTooLarge: fields.closeConnection()
        case .upgradeRequired: fields[.upgrade] = "websocket"
        default: break
        }
        return fields
    }

    /// Maps any error to the family: our own pass through, Hummingbird's by status with a
    /// generic message, and everything else is a 500 that reveals nothing.
    public static func from(_ error: any Error) -> APIError {
        if let error = error as? APIError { return error }
        if let error = error as? any APIErrorConvertible, let mapped = error.apiError { return mapped }
        if let error = error as? any HTTPResponseError {
            switch error.status {
            case .badRequest: return .badRequest("The request cannot be understood.")
            case .unauthorized: return .unauthorized("Authentication is required.")
            case .forbidden: return .forbidden("Access is denied.")
            case .notFound: return .notFound("No such resource.")
            case .contentTooLarge: return .payloadTooLarge(limit: 0)
            case .unsupportedMediaType: return .unsupportedMediaType("The request body type is not supported.")
            default: return .internalError
            }
        }
        return .internalError
    }
}

/// An error from below the HTTP layer (the store) that knows which ``APIError`` a client
/// should see for it, if any; nil leaves it a 500.
public protocol APIErrorConvertible: Error {
    var apiError: APIError? { get }
}
