import Foundation
import Logging
@testable import PortcullisApp
import PortcullisPlatform
import ServiceLifecycle
import Synchronization
import Testing
import TestSupport

@Suite("Background tasks: tracked, failures logged and counted, drained on stop")
struct BackgroundTasksTests {
    static func make(budget: Duration, capture: LogCapture) throws -> BackgroundTasks {
        let config = try PortcullisConfig.testing(stateDir: NSTemporaryDirectory(), overrides: ["log.format": "json"])
        return BackgroundTasks(readiness: Readiness(), stopBudget: budget, logger: LoggerFactory(config: config, sink: capture).logger("portcullis.background"))
    }

    @Test("a failing task is logged with its name and the request id, and counted")
    func failuresAreLoggedAndCounted() async throws {
        let capture = LogCapture()
        let tasks = try Self.make(budget: .seconds(5), capture: capture)
        struct Refused: Error, CustomStringConvertible { var description: String { "the relay refused" } }
        tasks.add("notify relay", requestID: "req-42") { throw Refused() }
        tasks.add("fine", requestID: nil) {}
        try await waitUntil("the background tasks to finish") { tasks.running == 0 }
        #expect(tasks.failures == 1)
        let failure = try #require(capture.records.first { $0["msg"] as? String == "background task failed" })
        #expect(failure["task"] as? String == "notify relay")
        #expect(failure["request_id"] as? String == "req-42")
        #expect(failure["error"] as? String == "the relay refused")
        #expect(failure["background_failures"] as? String == "1")
        #expect(failure["level"] as? String == "error")
    }

    @Test("a graceful stop waits for tasks within its budget, then cuts the rest and names them")
    func gracefulStopWaitsThenCuts() async throws {
        let capture = LogCapture()
        let tasks = try Self.make(budget: .milliseconds(600), capture: capture)
        let finished = Mutex<[String]>([])
        tasks.add("quick", requestID: "req-1") {
            try await Task.sleep(for: .milliseconds(200))
            finished.withLock { $0.append("quick") }
        }
        tasks.add("endless", requestID: "req-2") {
            try await Task.sleep(for: .seconds(60))
            finished.withLock { $0.append("endless") }
        }
        let group = ServiceGroup(configuration: .init(services: [tasks], logger: Logger(label: "test")))
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { runner in
            runner.addTask { try await group.run() }
            await group.triggerGracefulShutdown()
            try await runner.waitForAll()
        }
        let elapsed = ContinuousClock.now - started
        #expect(elapsed >= .milliseconds(550), "it waited for the budget: \(elapsed)")
        #expect(finished.withLock { $0 } == ["quick"])
        let cut = capture.records.filter { $0["msg"] as? String == "background task cut at the graceful timeout" }
        #expect(cut.count == 1)
        #expect(cut.first?["task"] as? String == "endless")
        #expect(cut.first?["request_id"] as? String == "req-2")
    }
}
