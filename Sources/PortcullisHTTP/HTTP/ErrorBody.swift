public import Hummingbird
public import HTTPTypes
public import NIOCore
import PortcullisPlatform

/// The JSON body of every error response: `{"details","error","message","request_id"}`, and
/// the one place that decides whether a response closes its connection.
public enum ErrorBody {
    /// The one place an ``APIError`` becomes a response.
    static func response(for error: APIError, requestID: String) -> Response {
        var headers = error.headers
        headers[.contentType] = JSONResponse.contentType
        return Response(status: error.status, headers: headers, body: .init(byteBuffer: bytes(for: error, requestID: requestID)))
    }

    /// The body's bytes.
    static func bytes(for error: APIError, requestID: String) -> ByteBuffer {
        var body = JSONWriter(capacity: 256)
        body.raw("{\"details\":")
        body.value(error.details)
        body.raw(",\"error\":")
        body.string(error.code)
        body.raw(",\"message\":")
        body.string(error.message)
        body.raw(",\"request_id\":")
        body.string(requestID)
        body.raw("}")
        return ByteBuffer(bytes: body.bytes)
    }

    /// The whole answer to a request that never reached the app's middleware — the HTTP
    /// parser refused it, or the app threw past it: a new request ID, the error body, the
    /// headers of the error and those every response carries, and `Content-Length`.
    public static func unrouted(_ error: APIError) -> (requestID: String, headers: HTTPFields, body: ByteBuffer) {
        let requestID = RequestIdentity.newID()
        let body = bytes(for: error, requestID: requestID)
        var headers = SecurityHeaders.apiFields
        headers.append(HTTPField(name: .xRequestID, value: requestID))
        headers.append(contentsOf: error.headers)
        headers[.contentType] = JSONResponse.contentType
        headers[.cacheControl] = "no-store"
        headers[.contentLength] = String(body.readableBytes)
        return (requestID, headers, body)
    }

    /// ``unrouted(_:)`` as a response.
    public static func unroutedResponse(_ error: APIError) -> Response {
        let answer = unrouted(error)
        return Response(status: error.status, headers: answer.headers, body: .init(byteBuffer: answer.body))
    }
}

extension HTTPFields {
    /// Makes this response the connection's last: an error whose request is not worth reading
    /// on, the last request before a worker recycles, a stopping server, a refused upgrade.
    public mutating func closeConnection() { self[.connection] = "close" }

    /// Whether this response is the connection's last.
    public var closesConnection: Bool { value(.connection) == "close" }
}
