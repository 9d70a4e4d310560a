import Hummingbird
import NIOCore
import PortcullisHTTP
import PortcullisPlatform

/// Reads a request's JSON body strictly, in the order a client's mistakes should be reported:
/// a type that is not JSON is 415, a body that nests too deeply or is not well-formed JSON is
/// 400, a body whose fields break the schema is 422 with a problem per field.
enum JSONBody {
    /// The deepest nesting a body may have; our bodies need 2.
    static let nestingLimit = 32

    static func read(_ request: Request, context: AppRequestContext, schema: BodySchema) async throws -> ValidBody {
        guard isJSON(request.headers.value(.contentType)) else {
            throw APIError.unsupportedMediaType("The request body must be application/json.")
        }
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        let value: JSONValue
        do {
            value = try JSONValue(parsing: buffer.readableBytesView, maxDepth: nestingLimit)
        } catch .tooDeep {
            throw APIError.malformedJSON("The JSON body nests deeper than \(nestingLimit) levels.")
        } catch {
            throw APIError.malformedJSON("The request body is not well-formed JSON.")
        }
        return try schema.validate(value)
    }

    /// `application/json` or any `+json` type, parameters (charset) allowed.
    static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let mediaType = ASCIISearch.mediaType(contentType)
        return ASCIISearch.equals(mediaType, "application/json")
            || (ASCIISearch.hasPrefix(mediaType, "application/") && ASCIISearch.hasSuffix(mediaType, "+json"))
    }
}
