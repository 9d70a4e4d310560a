public import Hummingbird
import HTTPTypes
import PortcullisPlatform

/// Compresses response bodies with gzip or deflate when the client accepts it, the body
/// is of a compressible type, and it is not known to be smaller than `minimumBytes`.
///
/// Never touches bodies that are already encoded (images, archives, a `Content-Encoding`),
/// `Cache-Control: no-transform`, partial content, HEAD, or statuses without a body.
/// Responses whose representation depends on `Accept-Encoding` say so in `Vary`; one known
/// to be too small to compress does not depend on it, and is left as it is without a look
/// at its headers (most API answers and every probe are that small).
public struct ResponseCompression: Sendable {
    let minimumBytes: Int

    public init(minimumBytes: Int) {
        self.minimumBytes = minimumBytes
    }

    /// Makes the response's body compress itself as it is written, when it should.
    public func apply(to response: inout Response, for request: Request) {
        guard (response.body.contentLength ?? .max) >= minimumBytes,
              Self.mayEncode(response), Self.isCompressible(contentType: response.headers.value(.contentType))
        else { return }
        response.headers.addVary(.varyAcceptEncoding)
        guard request.method != .head,
              let coding = ContentCoding.negotiate(request.headers.value(.acceptEncoding))
        else { return }
        let body = response.body
        response.body = ResponseBody { writer in
            try await body.write(CompressingBodyWriter(parent: writer, coding: coding))
        }
        response.headers[.contentEncoding] = coding.rawValue
        response.headers[.contentLength] = nil
    }

    /// Whether the response is one a content coding may be applied to at all.
    static func mayEncode(_ response: Response) -> Bool {
        let status = response.status.code
        guard status >= 200, status != 204, status != 206, status != 304 else { return false }
        let headers = response.headers
        return !headers.has(.contentEncoding)
            && !headers.has(.contentRange)
            && headers.value(.cacheControl).map { ASCIISearch.contains($0, "no-transform") } != true
    }

    /// Text, JSON, JavaScript, XML and SVG compress well; images, archives and other
    /// binary types are compressed already. Event streams must not be buffered.
    static func isCompressible(contentType: String?) -> Bool {
        guard let contentType else { return false }
        let mediaType = ASCIISearch.mediaType(contentType)
        if ASCIISearch.equals(mediaType, "text/event-stream") { return false }
        return ASCIISearch.hasPrefix(mediaType, "text/")
            || compressibleTypes.contains { ASCIISearch.equals(mediaType, $0) }
            || ASCIISearch.hasSuffix(mediaType, "+json") || ASCIISearch.hasSuffix(mediaType, "+xml")
    }

    private static let compressibleTypes: [StaticString] = [
        "application/json", "application/javascript", "application/xml", "image/svg+xml", "application/x-ndjson",
    ]
}
