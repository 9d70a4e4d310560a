import Foundation

/// The validated configuration every part of the product is built from.
///
/// Built by ``ConfigLoader``; tests build one with ``PortcullisConfig/testing(stateDir:overrides:)``.
public struct PortcullisConfig: Sendable {
    public struct Server: Sendable {
        public var listen: [ListenAddress]
        public var stateDir: String
        public var workers: Int
        public var gracefulTimeout: Duration
        public var drainDelay: Duration
        public var headerTimeout: Duration
        public var idleTimeout: Duration
        /// How long a request's body may take to arrive, from its head to its last byte.
        public var bodyTimeout: Duration
        public var maxBodyBytes: Int
        /// Connections one worker holds before it stops accepting until one closes.
        public var maxConnections: Int
        /// Whether a worker holding more than its share of the node's connections stops
        /// accepting until it is back under.
        public var balanceAccepts: Bool
        public var trustedProxies: [String]
        /// The one header a trusted proxy's client address is read from.
        public var forwardedHeader: ForwardedHeader
        /// A worker silent for this long is killed and replaced.
        public var workerTimeout: Duration
        /// Requests after which a worker is replaced (0 = never), plus up to `maxRequestsJitter` more.
        public var maxRequests: Int
        public var maxRequestsJitter: Int
        public var crashLoopMax: Int
        /// Whether compressible responses are gzip/deflate encoded for clients that accept it.
        public var compression: Bool
        /// Bodies known to be smaller than this are sent as they are.
        public var compressionMinBytes: Int
        /// Where the master answers `portcullis status` and `portcullis reload`; empty: nowhere.
        public var controlSocket: String
    }

    public struct TLS: Sendable {
        /// Empty when TLS is off.
        public var certFile: String
        public var keyFile: String
        public var listen: [ListenAddress]
        public var minVersion: String
        /// How long a TLS handshake may take before the connection is closed.
        public var handshakeTimeout: Duration
        /// Whether a certificate is configured.
        public var isEnabled: Bool { !certFile.isEmpty }

        /// The addresses that speak TLS: `tls.listen`, or every TCP `server.listen` address when
        /// `tls.listen` is empty; none without a certificate.
        public func speaksTLS(_ address: ListenAddress, plain: [ListenAddress]) -> Bool {
            guard isEnabled else { return false }
            if listen.isEmpty, case .tcp = address { return plain.contains(address) }
            return listen.contains(address)
        }
    }

    public struct Security: Sendable {
        public var secretKey: String
        public var jwtSecretKey: String
        public var jwtTTL: Int
        public var jwtIssuer: String
        public var jwtAudience: String
        /// Failed logins for one username from one client address (a /64 for IPv6) in 15 minutes.
        public var loginMaxFailures: Int
        /// Failed logins from one client address, whatever the username.
        public var loginMaxFailuresPerClient: Int
        /// Failed logins for one username, from anywhere: high, so that strangers cannot lock a user out.
        public var loginMaxFailuresPerUser: Int
        /// log2 of scrypt's N for new password hashes.
        public var passwordHashCost: Int
        /// Password derivations running at once on this host, shared out among the workers.
        public var passwordHashConcurrency: Int
        /// Derivations that may wait in each worker before more get 503.
        public var passwordHashQueue: Int
    }

    public struct CORS: Sendable {
        public var origins: [String]
        public var allowCredentials: Bool
    }

    public struct Database: Sendable {
        public var url: String
        public var poolSize: Int
        public var maxOverflow: Int
        public var prePing: Bool
        /// How long a unit of work waits for a PostgreSQL connection.
        public var poolTimeout: Duration
    }

    public struct Jobs: Sendable {
        public var concurrency: Int
        public var maxAttempts: Int
        public var leaseSeconds: Int
        /// Days succeeded and dead jobs are kept; 0 keeps them for ever.
        public var retentionDays: Int
    }

    public struct Mail: Sendable {
        public var transport: String
        public var sendmailPath: String
        public var from: String
        /// Emails one user may queue in an hour.
        public var maxPerUser: Int
    }

    public struct WebSocket: Sendable {
        public var maxMessageBytes: Int
        public var sendQueueMessages: Int
        /// Bytes a connection's send queue may hold; an empty queue takes one message of any size.
        public var sendQueueBytes: Int
        /// Bytes all of a worker's send queues may hold together.
        public var workerQueueBytes: Int
        /// Pub/sub topics one connection may subscribe to.
        public var maxSubscriptions: Int
        /// Bytes of hub messages that may wait for each link to other processes.
        public var relayQueueBytes: Int
        /// Messages one connection may publish a second (broadcast, chat, pub/sub).
        public var publishRate: Int
        public var pingInterval: Duration
        public var maxConnections: Int
    }

    public struct Metrics: Sendable {
        /// Where the master serves the node's Prometheus exposition; nil serves none.
        public var listen: ListenAddress?
    }

    public struct Log: Sendable {
        public var level: String
        public var format: LogFormat
    }

    public var profile: Profile
    public var server: Server
    public var tls: TLS
    public var security: Security
    public var cors: CORS
    public var database: Database
    public var jobs: Jobs
    public var mail: Mail
    public var ws: WebSocket
    public var metrics: Metrics
    /// `gateway.routes` and `limits`, read from the configuration file only.
    public var gateway: GatewayConfig
    public var log: Log

    /// Every secret value, so the log handler can scrub it wherever it appears.
    public var secrets: [String] { [security.secretKey, security.jwtSecretKey] }

    init(_ settings: ResolvedSettings) {
        profile = Profile(rawValue: settings[Settings.profile]) ?? .development
        server = Server(
            listen: settings[Settings.listen].compactMap { try? ListenAddress.parse($0).get() },
            stateDir: settings[Settings.stateDir],
            workers: settings[Settings.workers],
            gracefulTimeout: .seconds(settings[Settings.gracefulTimeout]),
            drainDelay: .seconds(settings[Settings.drainDelay]),
            headerTimeout: .seconds(settings[Settings.headerTimeout]),
            idleTimeout: .seconds(settings[Settings.idleTimeout]),
            bodyTimeout: .seconds(settings[Settings.bodyTimeout]),
            maxBodyBytes: settings[Settings.maxBodyBytes],
            maxConnections: settings[Settings.maxConnections],
            balanceAccepts: settings[Settings.balanceAccepts],
            trustedProxies: settings[Settings.trustedProxies],
            forwardedHeader: ForwardedHeader(rawValue: settings[Settings.forwardedHeader]) ?? .xForwardedFor,
            workerTimeout: .seconds(settings[Settings.workerTimeout]),
            maxRequests: settings[Settings.maxRequests],
            maxRequestsJitter: settings[Settings.maxRequestsJitter],
            crashLoopMax: settings[Settings.crashLoopMax],
            compression: settings[Settings.compression],
            compressionMinBytes: settings[Settings.compressionMinBytes],
            controlSocket: settings[Settings.controlSocket]
        )
        tls = TLS(
            certFile: settings[Settings.tlsCertFile],
            keyFile: settings[Settings.tlsKeyFile],
            listen: settings[Settings.tlsListen].compactMap { try? ListenAddress.parse($0).get() },
            minVersion: settings[Settings.tlsMinVersion],
            handshakeTimeout: .seconds(settings[Settings.tlsHandshakeTimeout])
        )
        security = Security(
            secretKey: settings[Settings.secretKey],
            jwtSecretKey: settings[Settings.jwtSecretKey],
            jwtTTL: settings[Settings.jwtTTL],
            jwtIssuer: settings[Settings.jwtIssuer],
            jwtAudience: settings[Settings.jwtAudience],
            loginMaxFailures: settings[Settings.loginMaxFailures],
            loginMaxFailuresPerClient: settings[Settings.loginMaxFailuresPerClient],
            loginMaxFailuresPerUser: settings[Settings.loginMaxFailuresPerUser],
            passwordHashCost: settings[Settings.passwordHashCost],
            passwordHashConcurrency: settings[Settings.passwordHashConcurrency],
            passwordHashQueue: settings[Settings.passwordHashQueue]
        )
        cors = CORS(origins: settings[Settings.corsOrigins], allowCredentials: settings[Settings.corsAllowCredentials])
        database = Database(
            url: settings[Settings.databaseURL],
            poolSize: settings[Settings.databasePoolSize],
            maxOverflow: settings[Settings.databaseMaxOverflow],
            prePing: settings[Settings.databasePrePing],
            poolTimeout: .seconds(settings[Settings.databasePoolTimeout])
        )
        jobs = Jobs(
            concurrency: settings[Settings.jobsConcurrency],
            maxAttempts: settings[Settings.jobsMaxAttempts],
            leaseSeconds: settings[Settings.jobsLeaseSeconds],
            retentionDays: settings[Settings.jobsRetentionDays]
        )
        mail = Mail(
            transport: settings[Settings.mailTransport],
            sendmailPath: settings[Settings.mailSendmailPath],
            from: settings[Settings.mailFrom],
            maxPerUser: settings[Settings.mailMaxPerUser]
        )
        ws = WebSocket(
            maxMessageBytes: settings[Settings.wsMaxMessageBytes],
            sendQueueMessages: settings[Settings.wsSendQueueMessages],
            sendQueueBytes: settings[Settings.wsSendQueueBytes],
            workerQueueBytes: settings[Settings.wsWorkerQueueBytes],
            maxSubscriptions: settings[Settings.wsMaxSubscriptions],
            relayQueueBytes: settings[Settings.wsRelayQueueBytes],
            publishRate: settings[Settings.wsPublishRate],
            pingInterval: .seconds(settings[Settings.wsPingInterval]),
            maxConnections: settings[Settings.wsMaxConnections]
        )
        metrics = Metrics(listen: try? ListenAddress.parse(settings[Settings.metricsListen]).get())
        gateway = GatewayConfig()
        log = Log(level: settings[Settings.logLevel], format: LogFormat(rawValue: settings[Settings.logFormat]) ?? .text)
    }

    /// The configuration of the `testing` profile, with `overrides` set as `PORTCULLIS_*` environment variables
    /// (`["server.max_body_bytes": "64"]`). Invalid overrides are a programming error in a test.
    public static func testing(stateDir: String, overrides: [String: String] = [:]) throws -> PortcullisConfig {
        var environment = ["PORTCULLIS_PROFILE": "testing", "PORTCULLIS_SERVER_STATE_DIR": stateDir]
        for (key, value) in overrides { environment[Setting<String>.environmentName(for: key)] = value }
        let loaded = ConfigLoader.load(ConfigRequest(configFile: nil, environment: environment, readDefaultFile: false))
        guard loaded.errors.isEmpty else {
            throw ConfigValueError(loaded.errors.map(\.description).joined(separator: "; "))
        }
        return loaded.config
    }
}
