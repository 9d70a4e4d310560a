public import Hummingbird
import Foundation
import NIOCore

/// The JSON body of every error response: `{"error","message","details","request_id"}`.
struct ErrorBody: Encodable {
    let error: String
    let message: String
    let details: JSONValue
    let request_id: String

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// The one place an ``APIError`` becomes a response.
    static func response(for error: APIError, requestID: String) -> Response {
        let body = ErrorBody(error: error.code, message: error.message, details: error.details, request_id: requestID)
        let data = (try? encoder.encode(body)) ?? Data("{\"error\":\"InternalServerError\",\"message\":\"\",\"details\":{},\"request_id\":\"\"}".utf8)
        var headers = error.headers
        headers[.contentType] = JSONResponse.contentType
        return Response(status: error.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// JSON success responses, with the content type of SPEC §4.
public enum JSONResponse {
    public static let contentType = "application/json; charset=utf-8"

    /// Encodes `value` with sorted keys.
    public static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try ErrorBody.encoder.encode(value)
        return Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
