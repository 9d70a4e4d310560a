public import Hummingbird
public import Logging

/// Turns every error the routes throw into the JSON error body. Unexpected errors are
/// logged here with their full text and reach the client as a bare 500.
public struct ErrorResponses: Sendable {
    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    /// The response for an error thrown while answering `request`.
    public func response(for error: any Error, to request: Request, context: AppRequestContext) -> Response {
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
