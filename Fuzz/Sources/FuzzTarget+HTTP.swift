import HTTPTypes
@testable import PortcullisApp
@testable import PortcullisHTTP
@testable import PortcullisPlatform

extension FuzzTarget {
    /// The forwarded headers of a trusted proxy's request, in both `server.forwarded_header`
    /// modes, and the address parsers behind `server.trusted_proxies`. Input: the
    /// `X-Forwarded-For`, `X-Forwarded-Proto` and `Forwarded` values, cut at NUL bytes.
    static let forwarded = FuzzTarget(name: "forwarded") { bytes in
        let parts = bytes.parts.map(\.text)
        var headers = HTTPFields()
        for (name, value) in zip([HTTPField.Name.xForwardedFor, .xForwardedProto, .forwarded], parts) {
            headers.append(HTTPField(name: name, value: value))
        }
        for header in ForwardedHeader.allCases {
            let proxies = TrustedProxies(["10.0.0.0/8", "2001:db8::/32", "unix"], header: header)
            for peer in [TrustedProxies.Peer.ip(IPAddress("10.1.2.3")!), .unixSocket, .ip(IPAddress("203.0.113.9")!)] {
                let origin = proxies.resolve(peer: peer, directScheme: "http", headers: headers)
                require(origin.scheme == "http" || origin.scheme == "https", "a scheme that is neither: \(origin.scheme)")
            }
        }
        for part in parts {
            _ = IPAddress(part)
            _ = CIDR(part)
            _ = TrustedProxies.hostOnly(part)
            _ = TrustedProxyEntry(part)
        }
    }

    /// `Accept-Encoding` negotiation.
    static let acceptEncoding = FuzzTarget(name: "accept-encoding") { bytes in
        _ = ContentCoding.negotiate(bytes.text)
    }

    /// The `X-Request-ID` rule: what it accepts is 1–128 characters of `[A-Za-z0-9._:-]`.
    static let requestID = FuzzTarget(name: "request-id") { bytes in
        guard let id = RequestIdentity.acceptable(bytes.text) else { return }
        require((1...128).contains(id.utf8.count), "a request ID of \(id.utf8.count) bytes")
        require(id.utf8.allSatisfy { $0 < 0x80 && "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-".utf8.contains($0) }, "a request ID with \(id)")
    }

    /// A stored password hash as a database row holds it.
    static let storedHash = FuzzTarget(name: "stored-hash") { bytes in
        guard let stored = PasswordHasher.StoredHash(bytes.text) else { return }
        require(PasswordHasher.StoredHash.costs.contains(stored.cost), "a stored cost out of bounds")
        require(PasswordHasher.StoredHash.blockSizes.contains(stored.blockSize), "a stored r out of bounds")
        require(PasswordHasher.StoredHash.parallelisms.contains(stored.parallelism), "a stored p out of bounds")
    }
}
