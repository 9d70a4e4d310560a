import Foundation
import TestSupport
import Testing

/// `portcullis status` and `portcullis reload` against a running master, through its control
/// socket (`server.control_socket`, here `<state_dir>/control.sock`).
@Suite struct ControlSocketTests {
    typealias Master = MasterProcessTests

    func status(_ directory: TemporaryDirectory, _ environment: [String: String]) async throws -> [String: Any] {
        let outcome = try await PortcullisBinary.run(["status", "--json"], environment: environment, in: directory.path)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        return try #require(JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
    }

    @Test func statusShowsTheBuildTheWorkersAndWhatTheyServed() async throws {
        try await withTemporaryDirectory { directory in
            let environment = serveEnvironment(directory)
            let serve = try ServeProcess(["--listen", "127.0.0.1:0", "--workers", "2"], environment: environment, in: directory.path)
            let port = try await Master.waitUntilReady(serve)
            #expect(await Master.load(port, count: 40) == 0)
            let version = try await PortcullisBinary.run(["version"], environment: environment, in: directory.path).stdout
            var answer: [String: Any] = [:]
            // Requests reach the master with the next heartbeat, within a second.
            for _ in 0..<50 {
                answer = try await status(directory, environment)
                let workers = answer["workers"] as? [[String: Any]] ?? []
                if workers.compactMap({ $0["requests"] as? Int }).reduce(0, +) >= 40 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            let build = try #require(answer["build"] as? String)
            #expect(version.hasPrefix("portcullis \(build.split(separator: " ")[0]) (git \(build.split(separator: " ")[1])"))
            #expect(answer["pid"] as? Int == Int(serve.pid))
            #expect(answer["phase"] as? String == "running")
            #expect(answer["generation"] as? Int == 1)
            #expect(answer["last_reload"] == nil)
            let workers = try #require(answer["workers"] as? [[String: Any]])
            let started = Set(Master.masterMessages(serve.records, "worker started").compactMap { Int($0["worker_pid"] as? String ?? "") })
            #expect(Set(workers.compactMap { $0["pid"] as? Int }) == started)
            #expect(workers.allSatisfy { $0["state"] as? String == "serving" && $0["generation"] as? Int == 1 })
            #expect(Set(workers.compactMap { $0["index"] as? Int }) == [0, 1])
            #expect(workers.compactMap { $0["requests"] as? Int }.reduce(0, +) >= 40)

            let text = try await PortcullisBinary.run(["status"], environment: environment, in: directory.path)
            #expect(text.status == 0)
            #expect(text.stdout.contains("portcullis \(build), master pid \(serve.pid), up "))
            #expect(text.stdout.contains("running, generation 1, 2 worker(s)"))
            #expect(text.stdout.contains("last reload: none since the master started"))
            #expect(text.stdout.contains("INDEX  PID"))
            serve.signal(SIGTERM)
            #expect(try await serve.waitForExit() == 0)
            #expect(!FileManager.default.fileExists(atPath: directory.path + "/state/control.sock"), "the master removes its socket")
        }
    }

    @Test func reloadExitsZeroOnceTheNewGenerationServesAndNonZeroWithTheProblemsWhenRefused() async throws {
        try await withTemporaryDirectory { directory in
            let file = try directory.write("portcullis.yaml", "server:\n  workers: 1\n")
            let environment = serveEnvironment(directory)
            let serve = try ServeProcess(["--config", file, "--listen", "127.0.0.1:0"], environment: environment, in: directory.path)
            let port = try await Master.waitUntilReady(serve)

            _ = try directory.write("portcullis.yaml", "server:\n  workers: 2\n")
            let reloaded = try await PortcullisBinary.run(["reload", "--config", file], environment: environment, in: directory.path)
            #expect(reloaded.status == 0, "\(reloaded.stderr)")
            #expect(reloaded.stdout == "reloaded: generation 2 serves\n")
            // When reload returns, the new generation already serves: no waiting.
            #expect(Master.masterMessages(serve.records, "reloaded").count == 1 || Master.masterMessages(serve.records, "worker serving").count >= 3)
            var answer = try await status(directory, environment)
            #expect(answer["generation"] as? Int == 2)
            let serving = (answer["workers"] as? [[String: Any]] ?? []).filter { $0["generation"] as? Int == 2 }
            #expect(serving.count == 2 && serving.allSatisfy { $0["state"] as? String == "serving" })
            #expect((answer["last_reload"] as? [String: Any])?["outcome"] as? String == "reloaded")

            _ = try directory.write("portcullis.yaml", "server:\n  workers: 0\n  graceful_timeout: -1\n")
            let refused = try await PortcullisBinary.run(["reload", "--config", file], environment: environment, in: directory.path)
            #expect(refused.status == 1)
            #expect(refused.stdout.isEmpty)
            #expect(refused.stderr.contains("portcullis: reload refused; generation 2 keeps serving:"))
            #expect(refused.stderr.contains("server.workers (file): must be between 1 and 512, got 0"), "\(refused.stderr)")
            #expect(refused.stderr.contains("server.graceful_timeout (file): must be between 0 and 3600, got -1"), "\(refused.stderr)")
            #expect(try await Master.get(port).status == .ok)
            answer = try await status(directory, environment)
            #expect(answer["generation"] as? Int == 2)
            let last = try #require(answer["last_reload"] as? [String: Any])
            #expect(last["outcome"] as? String == "refused")
            #expect((last["problems"] as? [String])?.count == 2)
            serve.signal(SIGTERM)
            #expect(try await serve.waitForExit() == 0)
        }
    }

    @Test func withoutAMasterStatusAndReloadSaySoAndExit1() async throws {
        try await withTemporaryDirectory { directory in
            let environment = serveEnvironment(directory)
            for command in [["status"], ["reload"]] {
                let outcome = try await PortcullisBinary.run(command, environment: environment, in: directory.path)
                #expect(outcome.status == 1)
                #expect(outcome.stderr.contains("portcullis: no master answers on \(directory.path)/state/control.sock"), "\(outcome.stderr)")
            }
            let off = try await PortcullisBinary.run(["status"], environment: environment.merging(["PORTCULLIS_SERVER_CONTROL_SOCKET": ""]) { $1 }, in: directory.path)
            #expect(off.status == 1)
            #expect(off.stderr.contains("server.control_socket is \"\" (off)"))
        }
    }

    @Test func aSecondMasterLeavesALiveControlSocketAloneAndAnUnknownCommandIsRefused() async throws {
        try await withTemporaryDirectory { directory in
            let environment = serveEnvironment(directory)
            let first = try ServeProcess(["--listen", "127.0.0.1:0"], environment: environment, in: directory.path)
            _ = try await Master.waitUntilReady(first)
            let second = try ServeProcess(["--listen", "127.0.0.1:0"], environment: environment, in: directory.path)
            #expect(try await second.waitForExit() == 1)
            #expect(second.records.contains { ($0["error"] as? String)?.contains("another master answers on it") == true })

            let asker = try RawConnection(unixPath: directory.path + "/state/control.sock")
            try asker.send("restart\n")
            let answer = await asker.readUntilClosed(timeout: 5)
            #expect(answer.closedByServer)
            #expect(answer.text.contains(#""error":"unknown command: send status or reload, then a newline""#))
            #expect(try await status(directory, environment)["pid"] as? Int == Int(first.pid), "the first master still answers")
            first.signal(SIGTERM)
            #expect(try await first.waitForExit() == 0)
        }
    }
}
