/// Where a gateway route sends requests: an `http://` or `https://` base URL (host, port and an
/// optional base path), or `unix:/path/to.sock` (plain HTTP over a unix socket).
public struct Upstream: Sendable, Hashable, CustomStringConvertible {
    public enum Address: Sendable, Hashable {
        case tcp(host: String, port: Int, tls: Bool)
        case unix(path: String)
    }

    public let address: Address
    /// Prepended to the forwarded path; empty or starting with `/`, never ending with one.
    public let basePath: String

    /// As written in the configuration file.
    public let description: String

    /// Parses `text`; nil with the reason when it is not an upstream.
    public static func parse(_ text: String) -> Result<Upstream, ConfigValueError> {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            guard path.hasPrefix("/"), path.utf8.count <= 107 else {
                return .failure(ConfigValueError("\(text): a unix socket is unix:/absolute/path, at most 107 bytes"))
            }
            return .success(Upstream(address: .unix(path: path), basePath: "", description: text))
        }
        let tls: Bool
        let rest: Substring
        if text.hasPrefix("http://") {
            (tls, rest) = (false, text.dropFirst(7))
        } else if text.hasPrefix("https://") {
            (tls, rest) = (true, text.dropFirst(8))
        } else {
            return .failure(ConfigValueError("\(text): must start with http://, https:// or unix:"))
        }
        let authority = rest.prefix { $0 != "/" }
        var basePath = String(rest.dropFirst(authority.count))
        while basePath.hasSuffix("/") { basePath.removeLast() }
        guard !basePath.contains("?"), !basePath.contains("#"), !authority.contains("@") else {
            return .failure(ConfigValueError("\(text): no query, fragment or credentials in an upstream"))
        }
        guard let (host, port) = Self.hostAndPort(authority, defaultPort: tls ? 443 : 80) else {
            return .failure(ConfigValueError("\(text): the host or port is not valid"))
        }
        return .success(Upstream(address: .tcp(host: host, port: port, tls: tls), basePath: basePath, description: text))
    }

    /// What a host name or address is made of.
    private static let hostBytes = ASCIISet(alphanumericsAnd: ".-:")

    /// `host`, `host:port`, `[v6]` or `[v6]:port`.
    private static func hostAndPort(_ authority: Substring, defaultPort: Int) -> (String, Int)? {
        var host = authority
        var port = defaultPort
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let parsed = Int(after.dropFirst()) else { return nil }
                port = parsed
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            guard let parsed = Int(authority[authority.index(after: colon)...]) else { return nil }
            port = parsed
        }
        guard !host.isEmpty, Self.hostBytes.containsAll(host), (1...65535).contains(port) else { return nil }
        return (String(host), port)
    }
}
