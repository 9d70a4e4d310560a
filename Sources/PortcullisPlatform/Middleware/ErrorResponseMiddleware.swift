public import Hummingbird
public import Logging

/// Catches every error below it and answers with the JSON error body. Unexpected errors are
/// logged here with their full text and reach the client as a bare 500.
public struct ErrorResponseMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext

    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let apiError = APIError.from(error)
            if apiError == .internalError {
                logger.error("unhandled error", metadata: [
                    "request_id": .string(context.requestID),
                    "path": .string(request.uri.path),
                    "error": .string(String(reflecting: error)),
                ])
            }
            return ErrorBody.response(for: apiError, requestID: context.requestID)
        }
    }
}
