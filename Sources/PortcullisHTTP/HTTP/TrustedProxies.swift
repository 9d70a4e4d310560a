public import HTTPTypes
public import NIOCore
public import PortcullisPlatform

/// Who is allowed to say, through `Forwarded` or `X-Forwarded-*`, which client and scheme a request came from.
public struct TrustedProxies: Sendable {
    /// The other end of the connection, as the socket reports it.
    public enum Peer: Sendable, Equatable {
        case ip(IPAddress)
        case unixSocket
        case unknown

        /// The peer of a connection whose socket reports `address`.
        public init(_ address: SocketAddress?) {
            switch address {
            case .some(.unixDomainSocket): self = .unixSocket
            case .some(let address): self = IPAddress(address).map(Peer.ip) ?? .unknown
            case .none: self = .unknown
            }
        }

        /// The peer as the access line's `client` shows it.
        public var text: String {
            switch self {
            case .ip(let address): address.description
            case .unixSocket: "unix"
            case .unknown: "unknown"
            }
        }
    }

    /// Where a request really came from, after trusted proxies have been believed.
    public struct Origin: Sendable, Equatable {
        /// The client's address as text, for logs and rate limits.
        public var client: String
        /// `http` or `https`, as the client used it.
        public var scheme: String

        public init(client: String, scheme: String) {
            self.client = client
            self.scheme = scheme
        }
    }

    let entries: [TrustedProxyEntry]
    /// `server.forwarded_header`: the only header read.
    let header: ForwardedHeader

    /// Builds the list from `server.trusted_proxies`; entries that do not parse were refused by validation.
    public init(_ entries: [String], header: ForwardedHeader = .xForwardedFor) {
        self.entries = entries.compactMap(TrustedProxyEntry.init)
        self.header = header
    }

    func trusts(_ peer: Peer) -> Bool {
        switch peer {
        case .ip(let address):
            entries.contains { if case .range(let range) = $0 { range.contains(address) } else { false } }
        case .unixSocket:
            entries.contains(.unixSocket)
        case .unknown:
            false
        }
    }

    private func trusts(hop: String) -> Bool {
        IPAddress(hop).map { trusts(.ip($0)) } ?? false
    }

    /// Resolves the client and scheme; the forwarded header counts only when `peer` is trusted,
    /// and only the one `server.forwarded_header` names.
    public func resolve(peer: Peer, directScheme: String, headers: HTTPFields) -> Origin {
        let direct = Origin(client: peer.text, scheme: directScheme)
        guard trusts(peer) else { return direct }
        if header == .forwarded {
            return headers[.forwarded].map { resolveForwarded($0, direct: direct) } ?? direct
        }
        guard let forwardedFor = headers[.xForwardedFor] else {
            return Origin(client: direct.client, scheme: Self.lastItem(headers[.xForwardedProto]) ?? direct.scheme)
        }
        let hops = forwardedFor.split(separator: ",").map { Self.hostOnly(String($0)) }
        let client = hops.last { !trusts(hop: $0) } ?? hops.first ?? direct.client
        return Origin(client: client, scheme: Self.lastItem(headers[.xForwardedProto]) ?? direct.scheme)
    }

    /// RFC 7239: each element is added by one proxy and describes the connection that proxy received.
    private func resolveForwarded(_ value: String, direct: Origin) -> Origin {
        let elements: [[String: String]] = value.split(separator: ",").map { element in
            var pairs: [String: String] = [:]
            for pair in element.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                let name = parts[0].trimmingSpaces().lowercased()
                pairs[name] = parts[1].trimmingSpaces().trimmingQuotes()
            }
            return pairs
        }
        let chosen = elements.last { element in
            guard let hop = element["for"] else { return false }
            return !trusts(hop: Self.hostOnly(hop))
        } ?? elements.first
        guard let chosen, let hop = chosen["for"] else { return direct }
        let scheme = (chosen["proto"] ?? elements.last?["proto"]).flatMap(Self.normalizedScheme) ?? direct.scheme
        return Origin(client: Self.hostOnly(hop), scheme: scheme)
    }

    /// `"[2001:db8::1]:4711"` → `2001:db8::1`, `192.0.2.1:80` → `192.0.2.1`.
    static func hostOnly(_ hop: String) -> String {
        let trimmed = hop.trimmingSpaces().trimmingQuotes()
        if trimmed.hasPrefix("["), let close = trimmed.firstIndex(of: "]") {
            return String(trimmed[trimmed.index(after: trimmed.startIndex)..<close])
        }
        if trimmed.filter({ $0 == ":" }).count == 1, let colon = trimmed.firstIndex(of: ":") {
            return String(trimmed[..<colon])
        }
        return trimmed
    }

    private static func lastItem(_ value: String?) -> String? {
        value?.split(separator: ",").last.flatMap { normalizedScheme(String($0)) }
    }

    private static func normalizedScheme(_ text: String) -> String? {
        let scheme = text.trimmingSpaces().lowercased()
        return scheme == "https" || scheme == "http" ? scheme : nil
    }
}

extension HTTPField.Name {
    static let forwarded = Self("Forwarded")!
    static let xForwardedFor = Self("X-Forwarded-For")!
    static let xForwardedProto = Self("X-Forwarded-Proto")!
}
