import Foundation
public import HTTPTypes
public import Hummingbird
import NIOCore
public import PortcullisPlatform

/// A value that writes its own JSON, keys sorted, the same JSON its `Encodable` conformance
/// gives ``JSONResponse`` (a test of each type holds the two together): a response on a hot
/// path then skips Foundation's encoder, its intermediate tree and its sorting.
public protocol JSONWritable: Encodable {
    /// Appends the value as one JSON value.
    func write(to json: inout JSONWriter)
}

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

    /// Writes `value` with its own ``JSONWritable/write(to:)``.
    public static func make(_ value: some JSONWritable, status: HTTPResponse.Status = .ok) -> Response {
        var json = JSONWriter(capacity: 256)
        value.write(to: &json)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: json.bytes)))
    }
}
