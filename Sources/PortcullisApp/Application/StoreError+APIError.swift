public import PortcullisHTTP
public import PortcullisPersistence

extension StoreError: APIErrorConvertible {
    /// A database that is down is a 503 the client may retry; everything else stays a 500.
    public var apiError: APIError? {
        guard case .unavailable = self else { return nil }
        return .unavailable("The database is unavailable; try again shortly.")
    }
}
