import Foundation
public import HTTPTypes
public import Hummingbird
import NIOCore

/// JSON success responses, with the API's content type.
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
