import Foundation
import Logging
@testable import PortcullisJobs
import PortcullisPlatform
import ServiceLifecycle
import Synchronization
import TestSupport
import Testing

/// The runner on both backends: retries to `dead`, a graceful stop that finishes or releases,
/// and PostgreSQL's notifications waking it.
@Suite struct JobRunnerTests {
    /// Counts each job's runs.
    final class Runs: Sendable {
        private let counts = Mutex<[Int64: Int]>([:])
        func add(_ id: Int64) { counts.withLock { $0[id, default: 0] += 1 } }
        var all: [Int64: Int] { counts.withLock { $0 } }
    }

    static func runner(
        _ queue: JobQueue, _ handlers: [JobHandler], poll: Duration = .milliseconds(200), stopBudget: Duration = .seconds(5),
        logs: LogCapture = LogCapture()
    ) throws -> JobRunner {
        let config = try PortcullisConfig.testing(stateDir: NSTemporaryDirectory(), overrides: ["log.format": "json"])
        return JobRunner(
            queue: queue, handlers: handlers, concurrency: 3, retry: RetryPolicy(base: .milliseconds(40)), pollInterval: poll,
            stopBudget: stopBudget, logger: LoggerFactory(config: config, sink: logs).logger("portcullis.jobs")
        )
    }

    /// Runs `runner` in a service group until `body` returns, then stops it gracefully and waits.
    static func whileRunning<T: Sendable>(_ runner: JobRunner, _ body: @Sendable () async throws -> T) async throws -> T {
        let group = ServiceGroup(configuration: .init(services: [runner], logger: Logger(label: "test")))
        return try await withThrowingTaskGroup(of: T?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            let result = try await body()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        }
    }

    @Test("a failing handler is retried with backoff, then the job is dead with its last error", arguments: DatabaseBackend.allCases)
    func failuresRetryThenDie(backend: DatabaseBackend) async throws {
        try await withStores(backend) { stores in
            let queue = JobQueue(stores[0], maxAttempts: 3)
            let runs = Runs()
            let failing = JobHandler(kind: "fail") { context in
                runs.add(context.id)
                throw JobFailure("attempt \(context.attempt) failed")
            }
            let logs = LogCapture()
            let job = try await Self.whileRunning(try Self.runner(queue, [failing], logs: logs)) {
                let id = try await queue.enqueue(.init(kind: "fail", payload: [:])).id
                return try await queue.waitFor(id, in: [.dead])
            }
            #expect(job.attempts == 3)
            #expect(job.error == "attempt 3 failed")
            #expect(runs.all[job.id] == 3)
            #expect(logs.messages.filter { $0 == "job failed; will retry" }.count == 2)
            #expect(logs.messages.filter { $0 == "job failed; it is dead" }.count == 1)
        }
    }

    @Test("every job runs once when two runners on separate stores compete", arguments: DatabaseBackend.allCases)
    func competingRunnersRunEachJobOnce(backend: DatabaseBackend) async throws {
        try await withStores(backend, count: 2) { stores in
            let runs = Runs()
            let handler = JobHandler(kind: "count") { context in
                runs.add(context.id)
                try await Task.sleep(for: .milliseconds(2))
                return .int(context.attempt)
            }
            let queues = stores.map { JobQueue($0) }
            let runners = try queues.map { try Self.runner($0, [handler]) }
            let ids = try await Self.whileRunning(runners[0]) {
                try await Self.whileRunning(runners[1]) {
                    let ids = try await stores[0].transaction(.write) { session in
                        var ids: [Int64] = []
                        for number in 0..<120 { ids.append(try await queues[0].enqueue(.init(kind: "count", payload: .int(number)), in: session).id) }
                        return ids
                    }
                    runners[0].nudge()
                    runners[1].nudge()
                    for id in ids { _ = try await queues[0].waitFor(id, in: [.succeeded]) }
                    return ids
                }
            }
            #expect(runs.all.count == ids.count)
            #expect(runs.all.values.allSatisfy { $0 == 1 })
        }
    }

    @Test("a graceful stop lets a short job finish and releases one that outlasts the budget", arguments: DatabaseBackend.allCases)
    func gracefulStopFinishesOrReleases(backend: DatabaseBackend) async throws {
        try await withStores(backend) { stores in
            let queue = JobQueue(stores[0])
            let started = Runs()
            let slow = JobHandler(kind: "slow") { context in
                started.add(context.id)
                try await Task.sleep(for: .seconds(60))
                return .null
            }
            let short = JobHandler(kind: "short") { context in
                started.add(context.id)
                try await Task.sleep(for: .milliseconds(300))
                return "finished"
            }
            let logs = LogCapture()
            let (slowID, shortID) = try await Self.whileRunning(try Self.runner(queue, [slow, short], stopBudget: .seconds(1), logs: logs)) {
                let slowID = try await queue.enqueue(.init(kind: "slow", payload: [:])).id
                let shortID = try await queue.enqueue(.init(kind: "short", payload: [:])).id
                try await waitUntil("two jobs to start") { started.all.count >= 2 }
                return (slowID, shortID)
            }
            let finished = try #require(try await queue.record(shortID))
            #expect(finished.state == .succeeded)
            #expect(finished.result == "finished")
            let released = try #require(try await queue.record(slowID))
            #expect(released.state == .queued)
            #expect(released.attempts == 0)
            #expect(logs.messages.contains("graceful timeout reached; releasing the jobs still running"))
            #expect(logs.messages.contains("job released by a stopping process; another attempt will run it"))
        }
    }

    @Test("on PostgreSQL a commit on another node wakes the runner without polling")
    func notificationsWakeTheRunner() async throws {
        try await withStores(.postgres, count: 2) { stores in
            let runs = Runs()
            let handler = JobHandler(kind: "ping") { context in
                runs.add(context.id)
                return .null
            }
            let listening = JobQueue(stores[0])
            let elsewhere = JobQueue(stores[1])
            let waited = try await Self.whileRunning(try Self.runner(listening, [handler], poll: .seconds(60))) {
                // Let the runner make its first claim and start listening, then go idle.
                try await Task.sleep(for: .milliseconds(500))
                let id = try await elsewhere.enqueue(.init(kind: "ping", payload: [:])).id
                let start = ContinuousClock.now
                _ = try await listening.waitFor(id, in: [.succeeded], timeout: .seconds(10))
                return ContinuousClock.now - start
            }
            #expect(waited < .seconds(5), "woken by the notification, long before the 60 s poll: \(waited)")
            #expect(runs.all.count == 1)
        }
    }
}
