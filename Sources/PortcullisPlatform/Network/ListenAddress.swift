/// An address the server listens on: `HOST:PORT`, `[V6]:PORT` or `unix:/path`.
public enum ListenAddress: Sendable, Hashable, CustomStringConvertible {
    case tcp(host: String, port: Int)
    case unix(path: String)

    /// Why an address could not be read.
    public struct ParseError: Error, Sendable, Equatable {
        public let message: String
    }

    /// Reads an address as written in `server.listen`, `tls.listen` or `--listen`.
    public static func parse(_ text: String) -> Result<ListenAddress, ParseError> {
        func failure(_ why: String) -> Result<ListenAddress, ParseError> {
            .failure(ParseError(message: "\"\(text)\" is not a listen address: \(why)"))
        }
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst("unix:".count))
            guard path.hasPrefix("/") else { return failure("a unix socket path must be absolute") }
            guard path.utf8.count < 108 else { return failure("a unix socket path must be shorter than 108 bytes") }
            return .success(.unix(path: path))
        }
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return failure("missing ]") }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return failure("expected [V6]:PORT") }
            portText = rest.dropFirst()
            guard IPAddress(String(host))?.isV6 == true else { return failure("\(host) is not an IPv6 address") }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return failure("expected HOST:PORT") }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard !host.isEmpty, !host.contains(":") else { return failure("write IPv6 addresses as [V6]:PORT") }
            guard host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" }) else {
                return failure("\(host) is not a host name or address")
            }
        }
        guard let port = Int(portText), (0...65535).contains(port) else { return failure("the port must be 0-65535") }
        return .success(.tcp(host: String(host), port: port))
    }

    public var description: String {
        switch self {
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path): "unix:\(path)"
        }
    }
}
