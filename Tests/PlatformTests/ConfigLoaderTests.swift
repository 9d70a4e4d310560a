import Foundation
import PortcullisPlatform
import TestSupport
import Testing

@Suite struct ConfigLoaderTests {
    /// A request that reads no file from the machine and no `.env` from the working directory
    /// unless the test puts one there.
    func request(_ directory: TemporaryDirectory, file: String? = nil, environment: [String: String] = [:], profile: String? = nil, workers: Int? = nil, listen: [String] = []) -> ConfigRequest {
        ConfigRequest(configFile: file, profile: profile, workers: workers, listen: listen, environment: environment, workingDirectory: directory.path, readDefaultFile: false)
    }

    func entry(_ loaded: LoadedConfiguration, _ key: String) -> ResolvedSetting? {
        loaded.settings.all.first { $0.key == key }
    }

    @Test func developmentDefaultsComeFromTheDefaultLayer() async throws {
        try await withTemporaryDirectory { directory in
            let loaded = ConfigLoader.load(request(directory))
            #expect(loaded.problems.isEmpty)
            #expect(loaded.config.profile == .development)
            #expect(loaded.config.server.listen == [.tcp(host: "127.0.0.1", port: 8080)])
            #expect(loaded.config.server.workers == 1)
            #expect(loaded.config.log.format == .text)
            #expect(loaded.config.cors.origins == ["*"])
            #expect(loaded.config.server.stateDir == directory.path.replacingOccurrences(of: "/private", with: "") + "/var" || loaded.config.server.stateDir.hasSuffix("/var"))
            #expect(loaded.config.database.url == "sqlite://" + loaded.config.server.stateDir + "/portcullis.db")
            #expect(entry(loaded, "server.listen")?.layer == .default)
        }
    }

    @Test func laterLayersWinAndEachValueKnowsItsLayer() async throws {
        try await withTemporaryDirectory { directory in
            let file = try directory.write("p.yaml", """
                server:
                  workers: 2
                  graceful_timeout: 12
                  listen: [127.0.0.1:9000]
                log:
                  level: debug
                """)
            try directory.write(".env", "PORTCULLIS_SERVER_GRACEFUL_TIMEOUT=13\nPORTCULLIS_LOG_LEVEL=notice\n")
            let loaded = ConfigLoader.load(request(
                directory, file: file,
                environment: ["PORTCULLIS_SERVER_WORKERS": "3", "PORTCULLIS_LOG_LEVEL": "error"],
                workers: 4))
            #expect(loaded.problems.isEmpty)
            #expect(loaded.config.server.workers == 4)
            #expect(entry(loaded, "server.workers")?.layer == .flag)
            #expect(loaded.config.log.level == "error")
            #expect(entry(loaded, "log.level")?.layer == .env)
            #expect(loaded.config.server.gracefulTimeout == .seconds(13))
            #expect(entry(loaded, "server.graceful_timeout")?.layer == .dotenv)
            #expect(loaded.config.server.listen == [.tcp(host: "127.0.0.1", port: 9000)])
            #expect(entry(loaded, "server.listen")?.layer == .file)
            #expect(entry(loaded, "server.idle_timeout")?.layer == .default)
        }
    }

    @Test func dotEnvIsReadOnlyInDevelopment() async throws {
        try await withTemporaryDirectory { directory in
            try directory.write(".env", "PORTCULLIS_SERVER_WORKERS=7\n")
            let development = ConfigLoader.load(request(directory))
            #expect(development.config.server.workers == 7)
            let testing = ConfigLoader.load(request(directory, profile: "testing"))
            #expect(testing.config.server.workers == 1)
        }
    }

    @Test func listsAreCommaSeparatedInTheEnvironmentAndMayBeAScalarInYAML() async throws {
        try await withTemporaryDirectory { directory in
            let file = try directory.write("p.yaml", "server:\n  trusted_proxies: 10.0.0.0/8\n")
            let loaded = ConfigLoader.load(request(directory, file: file, environment: [
                "PORTCULLIS_SERVER_LISTEN": "127.0.0.1:1, [::1]:2,unix:/run/p.sock",
            ]))
            #expect(loaded.problems.isEmpty)
            #expect(loaded.config.server.listen == [.tcp(host: "127.0.0.1", port: 1), .tcp(host: "::1", port: 2), .unix(path: "/run/p.sock")])
            #expect(loaded.config.server.trustedProxies == ["10.0.0.0/8"])
        }
    }

    @Test func unknownKeysWarnInDevelopmentAndFailInProduction() async throws {
        try await withTemporaryDirectory { directory in
            let file = try directory.write("p.yaml", "server:\n  wrokers: 2\n")
            let environment = ["PORTCULLIS_SERVER_LISTN": "127.0.0.1:1"]
            let development = ConfigLoader.load(request(directory, file: file, environment: environment))
            #expect(development.errors.isEmpty)
            #expect(development.warnings.contains(ConfigProblem(.warning, key: "server.wrokers", layer: .file, "unknown key (a typo?)")))
            #expect(development.warnings.contains(ConfigProblem(.warning, key: "PORTCULLIS_SERVER_LISTN", layer: .env, "unknown key (a typo?)")))
            let production = ConfigLoader.load(request(directory, file: file, environment: environment, profile: "production"))
            #expect(production.errors.contains(ConfigProblem(.error, key: "server.wrokers", layer: .file, "unknown key (a typo?)")))
            #expect(production.errors.contains(ConfigProblem(.error, key: "PORTCULLIS_SERVER_LISTN", layer: .env, "unknown key (a typo?)")))
        }
    }

    @Test func badValuesAreErrorsInEveryProfileWithKeyAndLayer() async throws {
        try await withTemporaryDirectory { directory in
            let file = try directory.write("p.yaml", "server:\n  workers: 0\n  listen: [\"nonsense\"]\n")
            let loaded = ConfigLoader.load(request(directory, file: file, environment: [
                "PORTCULLIS_SERVER_GRACEFUL_TIMEOUT": "soon",
                "PORTCULLIS_CORS_ALLOW_CREDENTIALS": "perhaps",
                "PORTCULLIS_LOG_FORMAT": "xml",
            ]))
            let keys = Set(loaded.errors.map { "\($0.key)@\($0.layer.rawValue)" })
            #expect(keys == ["server.workers@file", "server.listen@file", "server.graceful_timeout@env", "cors.allow_credentials@env", "log.format@env"])
            #expect(loaded.errors.first { $0.key == "server.workers" }?.message == "must be between 1 and 512, got 0")
            #expect(loaded.errors.first { $0.key == "server.graceful_timeout" }?.message == "is not a valid number")
        }
    }

    @Test func productionReportsEveryProblemInOneRun() async throws {
        try await withTemporaryDirectory { directory in
            let expired = try TestCertificates.make(notBefore: Date().addingTimeInterval(-86400 * 10), notAfter: Date().addingTimeInterval(-86400))
            let other = try TestCertificates.make()
            let cert = try directory.write("cert.pem", expired.certificatePEM)
            let key = try directory.write("key.pem", other.keyPEM)
            let file = try directory.write("p.yaml", """
                profile: production
                server:
                  workers: 9999
                  listen: ["127.0.0.1:99999"]
                security:
                  secret_key: too-short
                tls:
                  cert_file: \(cert)
                  key_file: \(key)
                cors:
                  origins: ["*"]
                database:
                  url: mysql://nope
                """, mode: 0o644)
            let loaded = ConfigLoader.load(request(directory, file: file, environment: ["PORTCULLIS_SERVER_STATE_DIR": directory.path]))
            let found = loaded.errors.map { "\($0.key)@\($0.layer.rawValue)" }
            for expected in [
                "server.workers@file", "server.listen@file", "security.secret_key@file", "security.jwt_secret_key@default",
                "tls.cert_file@file", "tls.key_file@file", "cors.origins@file", "database.url@file",
            ] {
                #expect(found.contains(expected), "missing \(expected) in \(found)")
            }
            #expect(loaded.errors.contains { $0.key == "tls.cert_file" && $0.message.contains("expired") })
            #expect(loaded.errors.contains { $0.key == "tls.key_file" && $0.message.contains("does not match") })
            #expect(loaded.errors.contains { $0.key == "security.secret_key" && $0.message.contains("at least 32") })
            #expect(loaded.errors.contains { $0.key == "security.jwt_secret_key" && $0.message.contains("development default") })
            #expect(loaded.errors.contains { $0.layer == .file && $0.message.contains("other users can read") })
        }
    }

    @Test func productionRefusesUnreadableAndNonPEMFilesAndAnUnwritableSQLiteDirectory() async throws {
        try await withTemporaryDirectory { directory in
            let garbage = try directory.write("cert.pem", "not a certificate")
            let secret = "k7Q2vX9pL4mN8rT1wZ5yB3cF6hJ0dS2aG"
            let loaded = ConfigLoader.load(request(directory, environment: [
                "PORTCULLIS_PROFILE": "production",
                "PORTCULLIS_SECURITY_SECRET_KEY": secret,
                "PORTCULLIS_SECURITY_JWT_SECRET_KEY": secret + "j",
                "PORTCULLIS_TLS_CERT_FILE": garbage,
                "PORTCULLIS_TLS_KEY_FILE": directory.path + "/missing.pem",
                "PORTCULLIS_DATABASE_URL": "sqlite:///proc/portcullis/portcullis.db",
            ]))
            #expect(loaded.errors.contains(ConfigProblem(.error, key: "tls.cert_file", layer: .env, "\(garbage) is not a PEM certificate")))
            #expect(loaded.errors.contains(ConfigProblem(.error, key: "tls.key_file", layer: .env, "\(directory.path)/missing.pem does not exist")))
            #expect(loaded.errors.contains { $0.key == "database.url" && $0.layer == .env && $0.message.contains("not writable") })
            #expect(loaded.errors.count == 3, "\(loaded.errors)")
        }
    }

    @Test func productionRefusesSecretsOfFewCharactersAndATLSKeyOthersCanRead() async throws {
        try await withTemporaryDirectory { directory in
            let pair = try TestCertificates.make()
            let cert = try directory.write("cert.pem", pair.certificatePEM)
            let key = try directory.write("key.pem", pair.keyPEM, mode: 0o644)
            let loaded = ConfigLoader.load(request(directory, environment: [
                "PORTCULLIS_PROFILE": "production",
                "PORTCULLIS_SERVER_STATE_DIR": directory.path,
                "PORTCULLIS_SECURITY_SECRET_KEY": String(repeating: "a", count: 32),
                "PORTCULLIS_SECURITY_JWT_SECRET_KEY": String(repeating: "ab", count: 24),
                "PORTCULLIS_TLS_CERT_FILE": cert,
                "PORTCULLIS_TLS_KEY_FILE": key,
            ]))
            #expect(loaded.errors.contains(ConfigProblem(
                .error, key: "security.secret_key", layer: .env,
                "has only 1 different characters; use a random secret (head -c 48 /dev/urandom | base64)")))
            #expect(loaded.errors.contains { $0.key == "security.jwt_secret_key" && $0.message.hasPrefix("has only 2 different characters") })
            #expect(loaded.errors.contains(ConfigProblem(.error, key: "tls.key_file", layer: .env, "\(key) can be read by other users; run chmod o-r \(key)")))
            #expect(loaded.errors.count == 3, "\(loaded.errors)")
        }
    }

    @Test func aValidProductionConfigurationPasses() async throws {
        try await withTemporaryDirectory { directory in
            let pair = try TestCertificates.make()
            let cert = try directory.write("cert.pem", pair.certificatePEM)
            let key = try directory.write("key.pem", pair.keyPEM)
            let loaded = ConfigLoader.load(request(directory, file: shippedConfigFile, environment: [
                "PORTCULLIS_SECURITY_SECRET_KEY": "Vt3q9Zk1Lw7Hn2Rb8Pm4Xs6Jc0Fd5Ga1Ye",
                "PORTCULLIS_SECURITY_JWT_SECRET_KEY": "uR8kW2nZ5qT1yB7vM4cX9hL3sP6dF0gJ2aE8",
                "PORTCULLIS_SERVER_STATE_DIR": directory.path,
                "PORTCULLIS_TLS_CERT_FILE": cert,
                "PORTCULLIS_TLS_KEY_FILE": key,
            ]))
            #expect(loaded.problems.isEmpty, "\(loaded.problems)")
            #expect(loaded.config.profile == .production)
            #expect(loaded.config.log.format == .json)
            #expect(loaded.config.cors.origins.isEmpty)
        }
    }

    @Test func theShippedConfigFileDocumentsEveryKey() throws {
        let text = try String(contentsOfFile: shippedConfigFile, encoding: .utf8)
        for key in Settings.keys.sorted() {
            let parts = key.split(separator: ".")
            let name = String(parts.last ?? "")
            let envName = "PORTCULLIS_" + key.uppercased().replacingOccurrences(of: ".", with: "_")
            let documented = text.contains(envName) || text.split(separator: "\n").contains { line in
                line.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "# ")).hasPrefix(name + ":")
            }
            #expect(documented, "\(key) is not documented in etc/portcullis/portcullis.yaml")
        }
    }

    @Test func secretsAreRedactedForDisplay() async throws {
        try await withTemporaryDirectory { directory in
            let loaded = ConfigLoader.load(request(directory, environment: [
                "PORTCULLIS_SECURITY_JWT_SECRET_KEY": "hunter2-hunter2-hunter2-hunter2-hunter2",
                "PORTCULLIS_DATABASE_URL": "postgres://app:s3cr3tpw@db.internal:5432/portcullis",
            ]))
            #expect(entry(loaded, "security.jwt_secret_key")?.displayText == "<redacted>")
            #expect(entry(loaded, "security.secret_key")?.displayText == "<redacted>")
            #expect(entry(loaded, "database.url")?.displayText == "postgres://app:<redacted>@db.internal:5432/portcullis")
            #expect(entry(loaded, "security.jwt_secret_key")?.jsonValue == .string("<redacted>"))
        }
    }

    @Test func aMissingExplicitFileOrBrokenYAMLIsAnError() async throws {
        try await withTemporaryDirectory { directory in
            let missing = ConfigLoader.load(request(directory, file: directory.path + "/nope.yaml"))
            #expect(missing.errors.map(\.key) == ["config"])
            let broken = try directory.write("broken.yaml", "server: [unclosed\n")
            let loaded = ConfigLoader.load(request(directory, file: broken))
            #expect(loaded.errors.count == 1)
            #expect(loaded.errors.first?.message.contains("is not valid YAML: line 2, column 1: ") == true)
            #expect(loaded.errors.first?.message.contains("\n") == false, "one line, without the document")
            let twice = try directory.write("twice.yaml", "server:\n  workers: 2\nlog:\n  level: info\nserver:\n  workers: 0\n")
            let duplicated = ConfigLoader.load(request(directory, file: twice))
            #expect(duplicated.errors.map(\.message) == ["\(twice) is not valid YAML: line 1: server given twice in one mapping"])
            let scalar = try directory.write("scalar.yaml", "just a string\n")
            #expect(ConfigLoader.load(request(directory, file: scalar)).errors.count == 1)
            let comments = try directory.write("comments.yaml", "# nothing set\n")
            #expect(ConfigLoader.load(request(directory, file: comments)).problems.isEmpty)
        }
    }

    @Test func aMalformedDotEnvIsAnErrorWithItsLine() async throws {
        try await withTemporaryDirectory { directory in
            try directory.write(".env", "# ok\nPORTCULLIS_LOG_LEVEL=debug\nthis line is wrong\n")
            let loaded = ConfigLoader.load(request(directory))
            #expect(loaded.errors.count == 1)
            #expect(loaded.errors.first?.layer == .dotenv)
            #expect(loaded.errors.first?.message.hasSuffix("line 3: expected KEY=value") == true)
        }
    }
}

/// `etc/portcullis/portcullis.yaml` in this repository.
let shippedConfigFile = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("etc/portcullis/portcullis.yaml").path
