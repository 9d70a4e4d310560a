import AsyncHTTPClient
import NIOCore
import NIOPosix
import PortcullisHTTP

/// What went wrong with an upstream, as the gateway answers it: 504 when it did not answer in
/// time, 502 for anything else; `beforeSending` when no connection was made, so an idempotent
/// request without a body may go to another upstream.
struct UpstreamFailure {
    let error: APIError
    let beforeSending: Bool
    /// The `outcome` label of `portcullis_upstream_responses_total`.
    let outcome: String

    init(_ error: any Error, upstream: String) {
        switch error {
        case let error as APIError:
            self.error = error
            beforeSending = false
            outcome = "request_body"
        case let error as HTTPClientError where error == .connectTimeout:
            self.error = .gatewayTimeout("The upstream \(upstream) did not accept a connection in time.")
            beforeSending = true
            outcome = "connect_timeout"
        case let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout:
            self.error = .gatewayTimeout("The upstream \(upstream) did not answer in time.")
            beforeSending = false
            outcome = "timeout"
        case is NIOConnectionError, is IOError, ChannelError.connectTimeout:
            self.error = .badGateway("The upstream \(upstream) cannot be reached.")
            beforeSending = true
            outcome = "unreachable"
        default:
            self.error = .badGateway("The upstream \(upstream) failed.")
            beforeSending = false
            outcome = "failed"
        }
    }
}
