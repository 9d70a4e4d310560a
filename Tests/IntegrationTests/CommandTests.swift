import Foundation
import TestSupport
import Testing

/// The operator commands: check-config, config show, version, and usage errors.
@Suite struct CommandTests {
    let secret = "s3cr3t-value-that-is-long-enough-0123456789"

    func environment(_ directory: TemporaryDirectory, _ extra: [String: String] = [:]) -> [String: String] {
        var environment = ["PATH": "/usr/bin:/bin", "PORTCULLIS_SERVER_STATE_DIR": directory.path]
        environment.merge(extra) { $1 }
        return environment
    }

    @Test func checkConfigPrintsEveryProblemAndExits78() async throws {
        try await withTemporaryDirectory { directory in
            let file = try directory.write("portcullis.yaml", """
                profile: production
                server:
                  wokers: 2
                  graceful_timeout: -1
                cors:
                  origins: ["*"]
                """)
            let outcome = try await PortcullisBinary.run(["check-config", "--config", file], environment: environment(directory), in: directory.path)
            #expect(outcome.status == 78)
            for line in [
                "error: server.wokers (file): unknown key (a typo?)",
                "error: server.graceful_timeout (file): must be between 0 and 3600, got -1",
                "error: cors.origins (file): must not contain \"*\" in production",
                "error: security.secret_key (default): is the development default",
                "error: security.jwt_secret_key (default): is the development default",
            ] {
                #expect(outcome.stdout.contains(line), "missing \(line) in:\n\(outcome.stdout)")
            }
            #expect(outcome.stdout.contains("configuration invalid: 5 error(s)"))
        }
    }

    @Test func checkConfigReportsEveryGatewayProblemAtOnce() async throws {
        try await withTemporaryDirectory { directory in
            let file = try directory.write("portcullis.yaml", """
                gateway:
                  routes:
                    - prefix: /svc/
                      upstreams: [http://127.0.0.1:9001, "htp://typo"]
                      timeout: {connect: 1}
                    - prefix: /svc/deeper/
                      upstreams: [unix:/run/svc.sock]
                    - prefix: /auth/
                      upstreams: [http://127.0.0.1:9002]
                limits:
                  default: {rate: 10/hour}
                """)
            let outcome = try await PortcullisBinary.run(["check-config", "--config", file], environment: environment(directory), in: directory.path)
            #expect(outcome.status == 78)
            for line in [
                "error: gateway.routes[0].upstreams[1] (file): htp://typo: must start with http://, https:// or unix:",
                "error: gateway.routes[0].timeout (file): unknown key (a typo?)",
                "error: gateway.routes[2].prefix (file): /auth/ shadows Portcullis's own /auth routes",
                "error: gateway.routes (file): /svc/deeper/ overlaps /svc/: a path must match one route only",
                "error: limits.default.rate (file): must be N/s or N/min, N from 1 to 1000000",
            ] {
                #expect(outcome.stdout.contains(line), "missing \(line) in:\n\(outcome.stdout)")
            }
            #expect(outcome.stdout.contains("configuration invalid: 5 error(s)"))
        }
    }

    @Test func checkConfigPassesAValidProductionConfiguration() async throws {
        try await withTemporaryDirectory { directory in
            let outcome = try await PortcullisBinary.run(["check-config", "--profile", "production"], environment: environment(directory, [
                "PORTCULLIS_SECURITY_SECRET_KEY": secret,
                "PORTCULLIS_SECURITY_JWT_SECRET_KEY": secret + "-jwt",
            ]), in: directory.path)
            #expect(outcome.status == 0, "\(outcome.stdout)")
            #expect(outcome.stdout.contains("configuration OK: 0 warning(s) (profile production"))
        }
    }

    @Test func configShowPrintsEachValueWithItsLayerAndRedactsSecrets() async throws {
        try await withTemporaryDirectory { directory in
            let file = try directory.write("portcullis.yaml", "server:\n  workers: 3\n")
            let outcome = try await PortcullisBinary.run(["config", "show", "--config", file, "--profile", "testing"], environment: environment(directory, [
                "PORTCULLIS_SECURITY_JWT_SECRET_KEY": secret,
                "PORTCULLIS_DATABASE_URL": "postgres://app:pw-\(secret)@db:5432/p",
            ]), in: directory.path)
            #expect(outcome.status == 0)
            let lines = outcome.stdout.split(separator: "\n").map(String.init)
            #expect(lines.contains("profile = testing (flag)"))
            #expect(lines.contains("server.workers = 3 (file)"))
            #expect(lines.contains("server.graceful_timeout = 30 (default)"))
            #expect(lines.contains("security.jwt_secret_key = <redacted> (env)"))
            #expect(lines.contains("database.url = postgres://app:<redacted>@db:5432/p (env)"))
            #expect(!outcome.stdout.contains(secret))

            let json = try await PortcullisBinary.run(["config", "show", "--json", "--profile", "testing"], environment: environment(directory, [
                "PORTCULLIS_SECURITY_JWT_SECRET_KEY": secret,
            ]), in: directory.path)
            let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: [String: Any]]
            #expect(object?["security.jwt_secret_key"]?["value"] as? String == "<redacted>")
            #expect(object?["security.jwt_secret_key"]?["layer"] as? String == "env")
            #expect(object?["server.workers"]?["value"] as? Int == 1)
            #expect(!json.stdout.contains(secret))
        }
    }

    @Test func versionPrintsVersionRevisionAndBuildDate() async throws {
        let outcome = try await PortcullisBinary.run(["version"], environment: [:], in: NSTemporaryDirectory())
        #expect(outcome.status == 0)
        #expect(outcome.stdout.wholeMatch(of: /portcullis \d+\.\d+\.\d+ \(git (?:[0-9a-f]{12}|unknown), built \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\)\n/) != nil, "\(outcome.stdout)")
    }

    @Test(arguments: [["serve", "--workers", "many"], ["no-such-command"], ["check-config", "--bogus"]])
    func usageErrorsExit64(arguments: [String]) async throws {
        let outcome = try await PortcullisBinary.run(arguments, environment: [:], in: NSTemporaryDirectory())
        #expect(outcome.status == 64)
    }

    @Test(arguments: [
        ["--help"], ["serve", "--help"], ["check-config", "--help"], ["config", "show", "--help"], ["version", "--help"],
        ["status", "--help"], ["reload", "--help"],
    ])
    func everyCommandHasHelp(arguments: [String]) async throws {
        let outcome = try await PortcullisBinary.run(arguments, environment: [:], in: NSTemporaryDirectory())
        #expect(outcome.status == 0)
        #expect(outcome.stdout.contains("USAGE: portcullis"))
    }
}
