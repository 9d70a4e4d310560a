import Foundation
import TestSupport
import Testing

/// The files the .deb ships, checked where they live in the repository. `packaging/smoke-test`
/// checks the installed package on the CI machine.
@Suite struct PackagingTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func read(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    /// `Key=value` lines of a unit file, in order.
    static func directives(_ unit: String) -> [(key: String, value: String)] {
        unit.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), !line.hasPrefix("["), let equals = line.firstIndex(of: "=") else { return nil }
            return (String(line[..<equals]), String(line[line.index(after: equals)...]))
        }
    }

    @Test func theServiceUnitIsHardenedToAnExposureOf1Point5OrLess() async throws {
        let outcome = try await PortcullisBinary.runCommand(
            ["/usr/bin/systemd-analyze", "security", "--offline=true", "--no-pager", "systemd/portcullis.service"],
            environment: ["PATH": "/usr/bin:/bin"], in: Self.root.path)
        let match = outcome.stdout.firstMatch(of: /Overall exposure level for portcullis.service: (\d+\.\d)/)
        let score = try #require(match.flatMap { Double($0.1) }, "no score in: \(outcome.stdout.suffix(500)) \(outcome.stderr)")
        #expect(score <= 1.5)
    }

    @Test func theServiceUnitRunsTheProductAsAnOperatorExpects() throws {
        let settings = Dictionary(Self.directives(try Self.read("systemd/portcullis.service")).map { ($0.key, $0.value) }) { first, _ in first }
        for (key, value) in [
            ("Type", "notify"), ("NotifyAccess", "main"), ("User", "portcullis"),
            ("ExecStartPre", "/usr/bin/portcullis check-config"), ("ExecStart", "/usr/bin/portcullis serve"),
            ("ExecReload", "/usr/bin/portcullis reload"), ("KillMode", "mixed"), ("Restart", "on-failure"),
            ("RestartPreventExitStatus", "78"), ("EnvironmentFile", "/etc/portcullis/secrets.env"),
            ("StateDirectory", "portcullis"), ("RuntimeDirectory", "portcullis"), ("ConfigurationDirectory", "portcullis"),
            ("Requires", "portcullis.socket"), ("Environment", "SWIFT_BACKTRACE=enable=no"),
        ] {
            #expect(settings[key] == value, "\(key)")
        }
        #expect(settings["WatchdogSec"] != nil)
        #expect(Int(settings["LimitNOFILE"] ?? "") ?? 0 >= 65536)
        let shipped = try Self.read("etc/portcullis/portcullis.yaml")
        let graceful = try #require(shipped.firstMatch(of: /\n  graceful_timeout: (\d+)/).flatMap { Int($0.1) })
        #expect(try #require(Int(settings["TimeoutStopSec"] ?? "")) > graceful, "systemd must not kill a drain in progress")
        let socket = Dictionary(Self.directives(try Self.read("systemd/portcullis.socket")).map { ($0.key, $0.value) }) { first, _ in first }
        #expect(socket["FileDescriptorName"] == "http")
        #expect(socket["ListenStream"] == "127.0.0.1:8080", "the shipped server.listen")
    }

    /// Every command and option `--help` shows is in portcullis(8), so the page cannot fall behind the CLI.
    @Test func theManPageDocumentsEveryCommandAndOption() async throws {
        let help = try await PortcullisBinary.run(["--experimental-dump-help"], environment: [:], in: Self.root.path)
        let tool = try #require(try JSONSerialization.jsonObject(with: Data(help.stdout.utf8)) as? [String: Any])
        let page = try Self.read("packaging/portcullis.8").replacingOccurrences(of: "\\-", with: "-")
        var missing: [String] = []
        func visit(_ command: [String: Any], path: [String]) {
            guard command["shouldDisplay"] as? Bool ?? true else { return }
            let name = (path + [command["commandName"] as? String ?? ""]).dropFirst().joined(separator: " ")
            if !name.isEmpty, name != "help", !page.contains(".B \(name)") { missing.append(name) }
            for argument in command["arguments"] as? [[String: Any]] ?? [] where argument["shouldDisplay"] as? Bool ?? true {
                for entry in argument["names"] as? [[String: Any]] ?? [] where entry["kind"] as? String == "long" {
                    let option = "--" + (entry["name"] as? String ?? "")
                    if !page.contains(option) { missing.append(option) }
                }
            }
            for sub in command["subcommands"] as? [[String: Any]] ?? [] {
                visit(sub, path: path + [command["commandName"] as? String ?? ""])
            }
        }
        visit(try #require(tool["command"] as? [String: Any]), path: [])
        #expect(missing.isEmpty, "portcullis(8) lacks \(missing)")
    }
}
