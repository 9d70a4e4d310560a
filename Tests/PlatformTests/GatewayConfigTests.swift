import Foundation
import PortcullisPlatform
import TestSupport
import Testing

/// `gateway.routes` and `limits` from the configuration file: every field read, every mistake
/// reported at once with its key.
@Suite struct GatewayConfigTests {
    func load(_ yaml: String) throws -> LoadedConfiguration {
        try withTemporaryDirectoryNow { directory in
            let file = try directory.write("p.yaml", yaml)
            return ConfigLoader.load(ConfigRequest(configFile: file, environment: [:], workingDirectory: directory.path, readDefaultFile: false))
        }
    }

    func withTemporaryDirectoryNow<T>(_ body: (TemporaryDirectory) throws -> T) throws -> T {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        return try body(directory)
    }

    @Test func everyFieldOfARouteAndTheLimitsAreRead() throws {
        let loaded = try load("""
            server:
              workers: 2
            gateway:
              routes:
                - prefix: /svc/
                  upstreams: [http://127.0.0.1:9001, "https://[::1]:9443/base/"]
                  auth: none
                  strip_prefix: true
                  max_body_bytes: 2048
                  timeouts: {connect: 1.5, response: 10, idle: 20}
                  retries: 2
                  balance: least_outstanding
                  max_fails: 5
                  fail_timeout: 30
                  health: {path: /healthz, interval: 2}
                  websocket: true
                  rate_limit: {rate: 600/min, burst: 20, key: user, delay: true}
                - prefix: /other/
                  upstreams: [http://backend, unix:/run/svc.sock]
            limits:
              default: {rate: 100/s, burst: 200}
              dry_run: true
            """)
        #expect(loaded.problems.isEmpty, "\(loaded.problems)")
        #expect(loaded.config.server.workers == 2, "the settings around the sections are still read")
        let routes = loaded.config.gateway.routes
        try #require(routes.count == 2)
        let svc = routes[0]
        #expect(svc.prefix == "/svc/")
        #expect(svc.upstreams.map(\.address) == [.tcp(host: "127.0.0.1", port: 9001, tls: false), .tcp(host: "::1", port: 9443, tls: true)])
        #expect(svc.upstreams[1].basePath == "/base")
        #expect(svc.auth == .none)
        #expect(svc.stripPrefix)
        #expect(svc.maxBodyBytes == 2048)
        #expect(svc.timeouts == GatewayRoute.Timeouts(connect: .milliseconds(1500), response: .seconds(10), idle: .seconds(20)))
        #expect(svc.retries == 2)
        #expect(svc.balance == .leastOutstanding)
        #expect(svc.maxFails == 5)
        #expect(svc.failTimeout == .seconds(30))
        #expect(svc.health == GatewayRoute.HealthCheck(path: "/healthz", interval: .seconds(2)))
        #expect(svc.webSocket)
        #expect(svc.rateLimit == RateLimitRule(perSecond: 10, burst: 20, key: .user, delay: true, rateText: "600/min"))
        let other = routes[1]
        #expect(other.upstreams.map(\.address) == [.tcp(host: "backend", port: 80, tls: false), .unix(path: "/run/svc.sock")])
        #expect(other.auth == .token)
        #expect(!other.stripPrefix)
        #expect(other.rateLimit == nil)
        #expect(loaded.config.gateway.defaultLimit == RateLimitRule(perSecond: 100, burst: 200, key: .client, delay: false, rateText: "100/s"))
        #expect(loaded.config.gateway.dryRun)
        #expect(loaded.config.gateway.route(for: "/svc") == svc)
        #expect(loaded.config.gateway.route(for: "/svc/a/b") == svc)
        #expect(loaded.config.gateway.route(for: "/svcx") == nil)
    }

    @Test func everyMistakeIsReportedAtOnceWithItsKey() throws {
        let loaded = try load("""
            gateway:
              routes:
                - prefix: /svc/
                  upstreams: [ftp://x, "http://host:99999", unix:relative]
                - prefix: /svc/inner/
                  upstreams: [http://a]
                  auth: maybe
                  colour: blue
                  timeouts: {connect: 0, read: 5}
                  rate_limit: {rate: 10/h}
                - prefix: /users/
                  upstreams: [http://a]
                - prefix: /sock/
                  upstreams: [unix:/run/a.sock]
                  websocket: true
                - prefix: nope
                  upstreams: []
                - just a string
              extra: 1
            limits:
              dry_run: perhaps
            """)
        let found = Set(loaded.errors.map { "\($0.key): \($0.message)" })
        let expected: Set = [
            "gateway.routes[0].upstreams[0]: ftp://x: must start with http://, https:// or unix:",
            "gateway.routes[0].upstreams[1]: http://host:99999: the host or port is not valid",
            "gateway.routes[0].upstreams[2]: unix:relative: a unix socket is unix:/absolute/path, at most 107 bytes",
            "gateway.routes[1].colour: unknown key (a typo?)",
            "gateway.routes[1].auth: must be one of token, none",
            "gateway.routes[1].timeouts.connect: must be seconds, more than 0 and at most 86400",
            "gateway.routes[1].timeouts.read: unknown key (a typo?)",
            "gateway.routes[1].rate_limit.rate: must be N/s or N/min, N from 1 to 1000000",
            "gateway.routes[2].prefix: /users/ shadows Portcullis's own /users routes",
            "gateway.routes[3].websocket: WebSocket upgrades are relayed to http:// and https:// upstreams only, not to a unix socket",
            "gateway.routes[4].prefix: must be a path that starts and ends with /, such as /svc/ (no query, fragment or %)",
            "gateway.routes[4].upstreams: must be a list of at least one upstream URL",
            "gateway.routes[5]: must be a mapping with prefix and upstreams",
            "gateway.extra: unknown key (a typo?)",
            "limits.dry_run: must be true or false",
        ]
        #expect(found.subtracting(expected).isEmpty, "unexpected: \(found.subtracting(expected))")
        #expect(expected.subtracting(found).isEmpty, "missing: \(expected.subtracting(found))")
    }

    @Test func aCABundleOfSeveralCertificatesIsReadAndADamagedOneIsNamed() throws {
        let chain = try TestCertificates.makeChain()
        try withTemporaryDirectoryNow { directory in
            let bundle = try directory.write("bundle.pem", "# our internal CAs\n" + chain.caPEM + "\n" + chain.leaf.certificatePEM)
            let damaged = try directory.write("damaged.pem", chain.caPEM + "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
            let file = try directory.write("p.yaml", """
                gateway:
                  routes:
                    - {prefix: /a/, upstreams: ["https://localhost:1"], tls_ca_file: \(bundle)}
                    - {prefix: /b/, upstreams: ["https://localhost:1"], tls_ca_file: \(damaged)}
                """)
            let loaded = ConfigLoader.load(ConfigRequest(configFile: file, environment: [:], workingDirectory: directory.path, readDefaultFile: false))
            #expect(loaded.errors.map { "\($0.key): \($0.message)" } == ["gateway.routes[1].tls_ca_file: \(damaged): certificate 2 is not a valid PEM certificate"])
            #expect(loaded.config.gateway.routes.first?.tlsCAFile == bundle)
        }
    }

    @Test func overlappingPrefixesAreRefused() throws {
        let loaded = try load("""
            gateway:
              routes:
                - {prefix: /a/, upstreams: [http://x]}
                - {prefix: /a/b/, upstreams: [http://y]}
                - {prefix: /b/, upstreams: [http://z]}
            """)
        #expect(loaded.errors.map(\.description) == ["error: gateway.routes (file): /a/b/ overlaps /a/: a path must match one route only"])
    }
}
