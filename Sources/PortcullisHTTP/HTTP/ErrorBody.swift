public import Hummingbird
public import HTTPTypes
import Foundation
public import NIOCore
import PortcullisPlatform

/// The JSON body of every error response: `{"details","error","message","request_id"}`.
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

    /// The whole answer to a request that never reached the app, because the HTTP parser
    /// refused it: a new request ID, the error body, the headers of the error and those
    /// every response carries (SPEC §4), and `Content-Length`.
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
}

/// JSON success responses, with the content type of SPEC §4.
public enum JSONResponse {
    public static let contentType = "application/json; charset=utf-8"

    /// The fields of a JSON response before the edge adds its own, made once.
    public static let headers: HTTPFields = [.contentType: contentType]

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Encodes `value` with sorted keys.
    public static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
