import AsyncHTTPClient
import Foundation
import TestSupport
import Testing

/// sd_notify, socket activation and the journal, with a test notification socket,
/// `systemd-socket-activate`, `systemd-cat` and the running journald.
@Suite struct SystemdTests {
    @Test func theMasterSpeaksSdNotifyReadyWatchdogReloadingAndStopping() async throws {
        try await withTemporaryDirectory { directory in
            let notify = try NotifySocket(directory: directory.path)
            let serve = try ServeProcess(["--listen", "127.0.0.1:0", "--workers", "2"], environment: serveEnvironment(directory, [
                "NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000",
            ]), in: directory.path)
            _ = try await serve.waitForPort()
            let ready = try await notify.waitFor("READY=1")
            #expect(ready.contains("STATUS=serving with 2 worker(s), generation 1"))
            #expect(serve.records.contains { $0["msg"] as? String == "ready" }, "READY=1 comes only once every worker serves")
            let firstPings = notify.messages.count
            try await notify.waitFor("WATCHDOG=1", after: firstPings)

            serve.signal(SIGHUP)
            let reloading = try await notify.waitFor("RELOADING=1")
            #expect(reloading.split(separator: "\n").contains { $0.wholeMatch(of: /MONOTONIC_USEC=\d+/) != nil })
            let reloadIndex = notify.messages.firstIndex(of: reloading) ?? 0
            let readyAgain = try await notify.waitFor("READY=1", after: reloadIndex + 1)
            #expect(readyAgain.contains("generation 2"))

            serve.signal(SIGTERM)
            try await notify.waitFor("STOPPING=1")
            #expect(try await serve.waitForExit() == 0)
        }
    }

    /// systemd waits for READY=1 after RELOADING=1; a refused reload must send it too, in one
    /// datagram of one-line assignments whatever the problem was.
    @Test func aRefusedReloadSaysReadyAgainWithTheFirstProblemOnTheStatusLine() async throws {
        try await withTemporaryDirectory { directory in
            let notify = try NotifySocket(directory: directory.path)
            let file = try directory.write("portcullis.yaml", "server:\n  workers: 1\n")
            let serve = try ServeProcess(["--config", file, "--listen", "127.0.0.1:0"], environment: serveEnvironment(directory, [
                "NOTIFY_SOCKET": notify.path,
            ]), in: directory.path)
            _ = try await serve.waitForPort()
            try await notify.waitFor("READY=1")
            _ = try directory.write("portcullis.yaml", "server:\n  workers: 1\n" + String(repeating: "# padding\n", count: 800) + "server:\n  workers: 0\n")
            serve.signal(SIGHUP)
            let reloading = try await notify.waitFor("RELOADING=1")
            let readyAgain = try await notify.waitFor("READY=1", after: (notify.messages.firstIndex(of: reloading) ?? 0) + 1)
            let lines = readyAgain.split(separator: "\n")
            #expect(lines.count == 2)
            #expect(lines.last == "STATUS=serving with 1 worker(s), generation 1; last reload refused: error: config (file): \(file) is not valid YAML: line 1: server given twice in one mapping")
            serve.signal(SIGTERM)
            #expect(try await serve.waitForExit() == 0)
        }
    }

    @Test func socketActivationServesOnThePassedSocketAndIgnoresListen() async throws {
        try await withTemporaryDirectory { directory in
            let port = try freeLoopbackPort()
            let environment = serveEnvironment(directory)
            let command = socketActivated(port: port, environment: environment, ["serve", "--listen", "127.0.0.1:1"])
            let serve = try ServeProcess(command: command, environment: environment, in: directory.path)
            try await Task.sleep(for: .milliseconds(200))
            // The first connection starts the server; it waits in the socket's backlog, not refused.
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz"), timeout: .seconds(30))
            #expect(response.status == .ok)
            let records = serve.records
            #expect(records.contains { ($0["msg"] as? String)?.hasPrefix("socket activation") == true && $0["sockets"] as? String == "http" })
            #expect(records.contains { $0["msg"] as? String == "listening" && $0["address"] as? String == "127.0.0.1:\(port)" })
            #expect(!records.contains { $0["address"] as? String == "127.0.0.1:1" })
            serve.signal(SIGTERM)
            #expect(try await serve.waitForExit() == 0)
        }
    }

    /// Under systemd, standard error is a journal stream named by `JOURNAL_STREAM`. systemd-cat
    /// connects the stream as a unit would; the shell sets `JOURNAL_STREAM` as systemd does.
    @Test func underTheJournalEveryLineIsAStructuredEntry() async throws {
        try await withTemporaryDirectory { directory in
            let probe = try await PortcullisBinary.runCommand(["/usr/bin/systemd-cat", "true"], environment: [:], in: directory.path)
            guard probe.status == 0 else {
                Issue.record("journald is not running; scripts/test starts it where systemd does not")
                return
            }
            let port = try freeLoopbackPort()
            let requestID = "journal-\(UUID().uuidString)"
            let command = [
                "/usr/bin/systemd-cat", "-t", "portcullis-test", "/bin/sh", "-c",
                "JOURNAL_STREAM=$(stat -L -c %d:%i /proc/$$/fd/2) exec \"$@\"", "sh",
                PortcullisBinary.path, "serve", "--listen", "127.0.0.1:\(port)",
            ]
            let serve = try ServeProcess(command: command, environment: serveEnvironment(directory), in: directory.path)
            // Wait until it serves, then send the one request the journal is searched for: a
            // probe that timed out on a loaded machine may still have been served and logged.
            var probeStatus: UInt?
            let deadline = ContinuousClock.now + .seconds(15)
            while probeStatus == nil, ContinuousClock.now < deadline {
                probeStatus = try? await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz"), timeout: .seconds(2)).status.code
                if probeStatus == nil { try await Task.sleep(for: .milliseconds(50)) }
            }
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz")
            request.headers.add(name: "X-Request-ID", value: requestID)
            let status = try await HTTPClient.shared.execute(request, timeout: .seconds(30)).status.code
            #expect(status == 200)
            serve.signal(SIGTERM)
            #expect(try await serve.waitForExit() == 0)

            var entries: [[String: Any]] = []
            for _ in 0..<50 where entries.isEmpty {
                let outcome = try await PortcullisBinary.runCommand(
                    ["/usr/bin/journalctl", "--no-pager", "-o", "json", "REQUEST_ID=\(requestID)"],
                    environment: ["PATH": "/usr/bin:/bin"], in: directory.path)
                entries = outcome.stdout.split(separator: "\n").compactMap {
                    try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                }
                if entries.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
            }
            let access = try #require(entries.first)
            #expect(entries.count == 1)
            #expect(access["MESSAGE"] as? String == "request")
            #expect(access["PRIORITY"] as? String == "6")
            #expect(access["SYSLOG_IDENTIFIER"] as? String == "portcullis")
            #expect(access["LOGGER"] as? String == "portcullis.access")
            #expect(access["WORKER"] as? String == "0")
            #expect(access["STATUS"] as? String == "200")
            #expect(access["PATH"] as? String == "/healthz")
            #expect(access["_TRANSPORT"] as? String == "journal", "sent with sd_journal_send, not written to the stream")
        }
    }
}
