import HTTPTypes
import PortcullisHTTP
import PortcullisPlatform

/// The headers a gateway route sends upstream and back: hop-by-hop fields dropped (RFC 9110
/// §7.6.1: `Connection`, the fields it names, `Keep-Alive`, `Proxy-Connection`, `TE`,
/// `Trailer`, `Transfer-Encoding`, `Upgrade`), and the client's forwarding fields replaced by
/// ours: `X-Forwarded-For`/`-Proto`/`-Host`, or `Forwarded` (per `server.forwarded_header`),
/// naming the client as Portcullis resolved it through `server.trusted_proxies`.
enum ProxyHeaders {
    static let keepAlive = HTTPField.Name("Keep-Alive")!
    static let proxyConnection = HTTPField.Name("Proxy-Connection")!
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let xForwardedProto = HTTPField.Name("X-Forwarded-Proto")!
    static let xForwardedHost = HTTPField.Name("X-Forwarded-Host")!
    static let forwarded = HTTPField.Name("Forwarded")!
    static let traceparent = HTTPField.Name("traceparent")!

    /// `fields` without its hop-by-hop fields.
    static func endToEnd(_ fields: HTTPFields) -> HTTPFields {
        // `Connection: keep-alive` and `close` name no field that is not dropped anyway, so
        // only other names leave the common path below.
        var named: [String] = []
        for value in fields[values: .connection] {
            for token in value.split(separator: ",") {
                let name = token.withoutSurroundingSpaces.lowercased()
                if !name.isEmpty, name != "close", !hopByHopNames.contains(name) { named.append(name) }
            }
        }
        guard named.isEmpty else {
            return HTTPFields(fields.filter { !hopByHop.contains($0.name) && !named.contains($0.name.canonicalName) })
        }
        // The common case: no `Connection` names a field, and most messages carry no hop-by-hop field at all.
        guard fields.contains(where: { hopByHop.contains($0.name) }) else { return fields }
        return HTTPFields(fields.filter { !hopByHop.contains($0.name) })
    }

    /// The fields HTTP/1.1 defines as hop-by-hop (RFC 9110 §7.6.1).
    static let hopByHop: Set<HTTPField.Name> = [.connection, keepAlive, proxyConnection, .te, .trailer, .transferEncoding, .upgrade]
    private static let hopByHopNames = Set(hopByHop.map(\.canonicalName))

    /// The request's fields as the upstream gets them: end to end, no identity headers, the
    /// forwarding fields, `X-Request-ID` and `traceparent` ours. (HTTPTypes keeps the host in
    /// the request's authority, never a field, so the HTTP client sets the upstream's.)
    static func upstream(_ fields: HTTPFields, context: AppRequestContext, host: String?, style: ForwardedHeader) -> HTTPFields {
        var out = endToEnd(fields)
        for name in [xForwardedFor, xForwardedProto, xForwardedHost, forwarded, .xRequestID, traceparent] {
            out[name] = nil
        }
        IdentityHeaders.strip(&out)
        let client = context.origin.client
        switch style {
        case .xForwardedFor:
            out[xForwardedFor] = client
            out[xForwardedProto] = context.origin.scheme
            if let host { out[xForwardedHost] = host }
        case .forwarded:
            let node = client.contains(":") ? "\"[\(client)]\"" : client
            out[forwarded] = "for=\(node);proto=\(context.origin.scheme)" + (host.map { ";host=\"\($0)\"" } ?? "")
        }
        out[.xRequestID] = context.requestID
        out[traceparent] = context.trace.traceParentHeaderValue
        return out
    }
}
