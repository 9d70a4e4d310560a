import AsyncHTTPClient
import Foundation
import TestSupport
import Testing

/// sd_notify and socket activation, with a test notification socket and `systemd-socket-activate`.
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

    @Test func socketActivationServesOnThePassedSocketAndIgnoresListen() async throws {
        try await withTemporaryDirectory { directory in
            let port = try freeLoopbackPort()
            let environment = serveEnvironment(directory)
            let command = ["/usr/bin/systemd-socket-activate", "-l", "127.0.0.1:\(port)", "--fdname=http"]
                + environment.map { "-E" + $0.key + "=" + $0.value }
                + [PortcullisBinary.path, "serve", "--listen", "127.0.0.1:1"]
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
}
