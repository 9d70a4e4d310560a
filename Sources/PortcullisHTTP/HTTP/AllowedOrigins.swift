/// The browser origins `cors.origins` allows: exact origins, or `*` for any (refused in
/// production). One rule for CORS grants and for WebSocket handshakes.
public struct AllowedOrigins: Sendable {
    private let origins: Set<String>
    private let any: Bool

    public init(_ entries: [String]) {
        origins = Set(entries.filter { $0 != "*" })
        any = entries.contains("*")
    }

    /// Whether the list allows anything at all.
    public var isEmpty: Bool { !any && origins.isEmpty }

    /// Whether a request with `Origin: origin` is allowed.
    public func allows(_ origin: String) -> Bool {
        any || origins.contains(origin)
    }
}
