import Foundation

/// Every configuration key the product knows, with its default and allowed range.
///
/// `etc/portcullis/portcullis.yaml` documents the same list for operators; a test keeps the two in step.
public enum Settings {
    /// The value every development secret starts with; production refuses it.
    public static let developmentSecretPrefix = "dev-insecure-"

    public static let profile = Setting<String>("profile", default: Profile.development.rawValue, check: Check.oneOf(Profile.allCases.map(\.rawValue)))

    public static let listen = Setting<[String]>("server.listen", default: ["127.0.0.1:8080"], check: listenCheck)
    public static let stateDir = Setting<String>("server.state_dir", default: { context in
        if let systemd = context.environment["STATE_DIRECTORY"]?.split(separator: ":").first, !systemd.isEmpty {
            return String(systemd)
        }
        return context.profile == .production
            ? "/var/lib/portcullis"
            : FileManager.default.currentDirectoryPath + "/var"
    }, check: { $0.isEmpty ? "must not be empty" : nil })
    public static let workers = Setting<Int>("server.workers", default: { context in
        context.profile == .production ? context.availableCPUs : 1
    }, check: Check.within(1...512))
    public static let gracefulTimeout = Setting<Double>("server.graceful_timeout", default: 30, check: Check.within(0...3600))
    public static let drainDelay = Setting<Double>("server.drain_delay", default: 0, check: Check.within(0...600))
    public static let headerTimeout = Setting<Double>("server.header_timeout", default: 10, check: Check.within(0.1...600))
    public static let idleTimeout = Setting<Double>("server.idle_timeout", default: 60, check: Check.within(0.1...3600))
    public static let bodyTimeout = Setting<Double>("server.body_timeout", default: 60, check: Check.within(0.1...3600))
    public static let maxConnections = Setting<Int>("server.max_connections", default: 10000, check: Check.within(1...1_000_000))
    public static let balanceAccepts = Setting<Bool>("server.balance_accepts", default: true)
    public static let maxBodyBytes = Setting<Int>("server.max_body_bytes", default: 1_048_576, check: Check.within(1...1_073_741_824))
    public static let trustedProxies = Setting<[String]>("server.trusted_proxies", default: [], check: { entries in
        entries.lazy.compactMap { entry in TrustedProxyEntry(entry) == nil ? "\"\(entry)\" is not a CIDR, an address or \"unix\"" : nil }.first
    })
    public static let forwardedHeader = Setting<String>(
        "server.forwarded_header", default: ForwardedHeader.xForwardedFor.rawValue, check: Check.oneOf(ForwardedHeader.allCases.map(\.rawValue)))
    public static let workerTimeout = Setting<Double>("server.worker_timeout", default: 30, check: Check.within(1...3600))
    public static let maxRequests = Setting<Int>("server.max_requests", default: 0, check: Check.within(0...100_000_000))
    public static let maxRequestsJitter = Setting<Int>("server.max_requests_jitter", default: 0, check: Check.within(0...100_000_000))
    public static let crashLoopMax = Setting<Int>("server.crash_loop_max", default: 5, check: Check.within(1...1000))
    public static let compression = Setting<Bool>("server.compression", default: true)
    /// Where the package's master answers: its `RuntimeDirectory=`.
    public static let packagedControlSocket = "/run/portcullis/control.sock"
    public static let controlSocket = Setting<String>("server.control_socket", default: { context in
        if let systemd = context.environment["RUNTIME_DIRECTORY"]?.split(separator: ":").first, !systemd.isEmpty {
            return systemd + "/control.sock"
        }
        return context.profile == .production ? packagedControlSocket : context.stateDir + "/control.sock"
    }, check: { $0.utf8.count > 107 ? "must be at most 107 bytes, the longest path a unix socket may have" : nil })
    public static let compressionMinBytes = Setting<Int>("server.compression_min_bytes", default: 1024, check: Check.within(0...1_073_741_824))

    public static let tlsCertFile = Setting<String>("tls.cert_file", default: "")
    public static let tlsKeyFile = Setting<String>("tls.key_file", default: "")
    public static let tlsListen = Setting<[String]>("tls.listen", default: [], check: listenCheck)
    public static let tlsHandshakeTimeout = Setting<Double>("tls.handshake_timeout", default: 10, check: Check.within(0.1...600))
    public static let tlsMinVersion = Setting<String>("tls.min_version", default: "1.2", check: Check.oneOf(["1.2", "1.3"]))

    public static let secretKey = Setting<String>("security.secret_key", secret: true, default: developmentSecretPrefix + "secret-key-do-not-use-in-production")
    public static let jwtSecretKey = Setting<String>("security.jwt_secret_key", secret: true, default: developmentSecretPrefix + "jwt-key-do-not-use-in-production")
    public static let jwtTTL = Setting<Int>("security.jwt_ttl", default: 900, check: Check.within(30...86400))
    public static let jwtIssuer = Setting<String>("security.jwt_issuer", default: "portcullis", check: { $0.isEmpty ? "must not be empty" : nil })
    public static let jwtAudience = Setting<String>("security.jwt_audience", default: "portcullis-api", check: { $0.isEmpty ? "must not be empty" : nil })
    public static let loginMaxFailures = Setting<Int>("security.login_max_failures", default: 10, check: Check.within(1...1000))
    public static let loginMaxFailuresPerClient = Setting<Int>("security.login_max_failures_per_client", default: 100, check: Check.within(1...100_000))
    public static let loginMaxFailuresPerUser = Setting<Int>("security.login_max_failures_per_user", default: 100, check: Check.within(1...100_000))
    public static let passwordHashCost = Setting<Int>("security.password_hash_cost", default: 15, check: Check.within(10...20))
    public static let passwordHashConcurrency = Setting<Int>("security.password_hash_concurrency", default: { context in
        context.availableCPUs
    }, check: Check.within(1...4096))
    public static let passwordHashQueue = Setting<Int>("security.password_hash_queue", default: 32, check: Check.within(0...100_000))

    public static let corsOrigins = Setting<[String]>("cors.origins", default: { context in
        context.profile == .development ? ["*"] : []
    }, check: { origins in
        origins.lazy.compactMap { origin in
            origin == "*" || OriginPattern.isValid(origin) ? nil : "\"\(origin)\" is not an origin (scheme://host[:port])"
        }.first
    })
    public static let corsAllowCredentials = Setting<Bool>("cors.allow_credentials", default: true)

    public static let databaseURL = Setting<String>("database.url", secret: true, default: { context in
        "sqlite://" + context.stateDir + "/portcullis.db"
    }, check: { url in
        guard case .failure(let error) = DatabaseURL.parse(url) else { return nil }
        return error.message
    })
    public static let databasePoolSize = Setting<Int>("database.pool_size", default: 5, check: Check.within(1...1000))
    public static let databaseMaxOverflow = Setting<Int>("database.max_overflow", default: 10, check: Check.within(0...1000))
    public static let databasePrePing = Setting<Bool>("database.pre_ping", default: true)
    public static let databasePoolTimeout = Setting<Double>("database.pool_timeout", default: 5, check: Check.within(0.1...600))

    public static let jobsConcurrency = Setting<Int>("jobs.concurrency", default: 4, check: Check.within(1...1000))
    public static let jobsMaxAttempts = Setting<Int>("jobs.max_attempts", default: 5, check: Check.within(1...100))
    public static let jobsLeaseSeconds = Setting<Int>("jobs.lease_seconds", default: 30, check: Check.within(5...86400))
    public static let jobsRetentionDays = Setting<Int>("jobs.retention_days", default: 7, check: Check.within(0...3650))

    public static let mailTransport = Setting<String>("mail.transport", default: "outbox", check: Check.oneOf(["outbox", "sendmail"]))
    public static let mailSendmailPath = Setting<String>("mail.sendmail_path", default: "/usr/sbin/sendmail", check: { $0.hasPrefix("/") ? nil : "must be an absolute path" })
    public static let mailMaxPerUser = Setting<Int>("mail.max_per_user", default: 100, check: Check.within(1...1_000_000))
    public static let mailFrom = Setting<String>("mail.from", default: "portcullis@localhost", check: { address in
        address.contains("@") && !address.unicodeScalars.contains { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }
            ? nil : "must be an email address"
    })

    public static let wsMaxMessageBytes = Setting<Int>("ws.max_message_bytes", default: 1_048_576, check: Check.within(1...67_108_864))
    public static let wsSendQueueMessages = Setting<Int>("ws.send_queue_messages", default: 256, check: Check.within(1...100_000))
    public static let wsSendQueueBytes = Setting<Int>("ws.send_queue_bytes", default: 1_048_576, check: Check.within(1024...1_073_741_824))
    public static let wsWorkerQueueBytes = Setting<Int>("ws.worker_queue_bytes", default: 268_435_456, check: Check.within(1_048_576...68_719_476_736))
    public static let wsMaxSubscriptions = Setting<Int>("ws.max_subscriptions", default: 100, check: Check.within(1...100_000))
    public static let wsRelayQueueBytes = Setting<Int>("ws.relay_queue_bytes", default: 67_108_864, check: Check.within(65536...4_294_967_296))
    public static let wsPublishRate = Setting<Int>("ws.publish_rate", default: 1000, check: Check.within(1...1_000_000))
    public static let wsPingInterval = Setting<Double>("ws.ping_interval", default: 30, check: Check.within(1...3600))
    public static let wsMaxConnections = Setting<Int>("ws.max_connections", default: 10000, check: Check.within(1...1_000_000))

    /// Where the master serves `/metrics`; empty serves none.
    public static let metricsListen = Setting<String>("metrics.listen", default: "", check: { address in
        guard !address.isEmpty, case .failure(let error) = ListenAddress.parse(address) else { return nil }
        return error.message
    })

    public static let logLevel = Setting<String>("log.level", default: "info", check: Check.oneOf(LogLevelName.all))
    public static let logFormat = Setting<String>("log.format", default: { context in
        context.profile == .production ? "json" : "text"
    }, check: Check.oneOf(["json", "text"]))

    /// The whole registry, in the order `config show` prints it. `profile` and `server.state_dir`
    /// come first because other defaults depend on them.
    static let all: [any AnySetting] = [
        profile, stateDir, listen, workers, gracefulTimeout, drainDelay, headerTimeout, idleTimeout, bodyTimeout,
        maxConnections, balanceAccepts, maxBodyBytes, trustedProxies, forwardedHeader, workerTimeout, maxRequests, maxRequestsJitter, crashLoopMax,
        compression, compressionMinBytes, controlSocket,
        tlsCertFile, tlsKeyFile, tlsListen, tlsMinVersion, tlsHandshakeTimeout,
        secretKey, jwtSecretKey, jwtTTL, jwtIssuer, jwtAudience, loginMaxFailures, loginMaxFailuresPerClient, loginMaxFailuresPerUser, passwordHashCost,
        passwordHashConcurrency, passwordHashQueue,
        corsOrigins, corsAllowCredentials,
        databaseURL, databasePoolSize, databaseMaxOverflow, databasePrePing, databasePoolTimeout,
        jobsConcurrency, jobsMaxAttempts, jobsLeaseSeconds, jobsRetentionDays,
        mailTransport, mailSendmailPath, mailFrom, mailMaxPerUser,
        wsMaxMessageBytes, wsSendQueueMessages, wsSendQueueBytes, wsWorkerQueueBytes, wsMaxSubscriptions, wsRelayQueueBytes, wsPublishRate, wsPingInterval, wsMaxConnections,
        metricsListen,
        logLevel, logFormat,
    ]

    /// Every known key, for the unknown-key check.
    public static let keys: Set<String> = Set(all.map(\.key))

    private static let listenCheck: @Sendable ([String]) -> String? = { addresses in
        for address in addresses {
            if case .failure(let error) = ListenAddress.parse(address) { return error.message }
        }
        return nil
    }
}
