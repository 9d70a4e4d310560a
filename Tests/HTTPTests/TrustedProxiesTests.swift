import HTTPTypes
import PortcullisHTTP
import PortcullisPlatform
import Testing

@Suite struct TrustedProxiesTests {
    let proxies = TrustedProxies(["10.0.0.0/8", "::1", "unix"])
    let proxy = TrustedProxies.Peer.ip(IPAddress("10.1.2.3")!)
    let stranger = TrustedProxies.Peer.ip(IPAddress("203.0.113.9")!)

    func headers(_ pairs: [(String, String)]) -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in pairs { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        return fields
    }

    @Test func cidrMatching() {
        #expect(CIDR("10.0.0.0/8")!.contains(IPAddress("10.255.0.1")!))
        #expect(!CIDR("10.0.0.0/8")!.contains(IPAddress("11.0.0.1")!))
        #expect(CIDR("192.168.1.0/25")!.contains(IPAddress("192.168.1.127")!))
        #expect(!CIDR("192.168.1.0/25")!.contains(IPAddress("192.168.1.128")!))
        #expect(CIDR("2001:db8::/32")!.contains(IPAddress("2001:db8:1::5")!))
        #expect(!CIDR("2001:db8::/32")!.contains(IPAddress("10.0.0.1")!))
        #expect(CIDR("10.0.0.0/8")!.contains(IPAddress("::ffff:10.0.0.1")!))
        #expect(CIDR("10.0.0.0/33") == nil)
        #expect(CIDR("not-an-ip") == nil)
    }

    @Test func addressesPrintAsTheyAreWritten() {
        for (text, printed) in [
            ("0.0.0.0", "0.0.0.0"), ("255.255.255.255", "255.255.255.255"), ("10.1.20.203", "10.1.20.203"),
            ("::ffff:192.0.2.1", "192.0.2.1"), ("2001:db8::1", "2001:db8::1"), ("::1", "::1"),
        ] {
            #expect(IPAddress(text)?.description == printed, "\(text)")
        }
    }

    @Test func aTrustedProxyIsBelievedThroughXForwardedHeaders() {
        let origin = proxies.resolve(peer: proxy, directScheme: "http", headers: headers([
            ("X-Forwarded-For", "198.51.100.7, 10.0.0.5"), ("X-Forwarded-Proto", "https"),
        ]))
        #expect(origin == .init(client: "198.51.100.7", scheme: "https"))
    }

    @Test func spoofedHeadersFromAnUntrustedPeerAreIgnored() {
        let origin = proxies.resolve(peer: stranger, directScheme: "http", headers: headers([
            ("X-Forwarded-For", "1.2.3.4"), ("X-Forwarded-Proto", "https"), ("Forwarded", "for=5.6.7.8;proto=https"),
        ]))
        #expect(origin == .init(client: "203.0.113.9", scheme: "http"))
    }

    @Test func aClientCannotHideBehindAnEntryItPrependedItself() {
        let origin = proxies.resolve(peer: proxy, directScheme: "http", headers: headers([
            ("X-Forwarded-For", "6.6.6.6, 198.51.100.7"),
        ]))
        #expect(origin.client == "198.51.100.7")
    }

    /// The nginx of docs/deploy.md sets X-Forwarded-For and passes the client's own Forwarded
    /// through: with the default setting the client's Forwarded is not believed.
    @Test func onlyXForwardedForIsReadByDefaultSoAClientSentForwardedIsIgnored() {
        let origin = proxies.resolve(peer: proxy, directScheme: "http", headers: headers([
            ("X-Forwarded-For", "203.0.113.9"), ("Forwarded", "for=198.51.100.7;proto=https"),
        ]))
        #expect(origin == .init(client: "203.0.113.9", scheme: "http"))
    }

    @Test func withForwardedChosenOnlyForwardedIsReadAndParsedPerRFC7239() {
        let rfc7239 = TrustedProxies(["10.0.0.0/8", "::1", "unix"], header: .forwarded)
        let origin = rfc7239.resolve(peer: proxy, directScheme: "http", headers: headers([
            ("Forwarded", "for=\"[2001:db8:cafe::17]:4711\";proto=https, for=10.0.0.9;proto=http"),
            ("X-Forwarded-For", "9.9.9.9"),
        ]))
        #expect(origin == .init(client: "2001:db8:cafe::17", scheme: "https"))
        let onlyXFF = rfc7239.resolve(peer: proxy, directScheme: "http", headers: headers([
            ("X-Forwarded-For", "9.9.9.9"), ("X-Forwarded-Proto", "https"),
        ]))
        #expect(onlyXFF == .init(client: "10.1.2.3", scheme: "http"))
    }

    @Test func unixSocketPeersAreTrustedOnlyWhenListed() {
        let forwarded = headers([("X-Forwarded-For", "198.51.100.7")])
        #expect(proxies.resolve(peer: .unixSocket, directScheme: "http", headers: forwarded).client == "198.51.100.7")
        #expect(TrustedProxies([]).resolve(peer: .unixSocket, directScheme: "http", headers: forwarded).client == "unix")
    }
}
