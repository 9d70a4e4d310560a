import Foundation
import Logging
import PortcullisPlatform
public import ServiceLifecycle
import Synchronization

/// Work a request starts and does not wait for — Quart's `add_background_task`. Each task is
/// tracked: a failure is logged with its name and the request's id and counted, never lost;
/// a graceful stop waits for the tasks still running until the stop's budget
/// (`server.drain_delay` + `server.graceful_timeout` from its start) is spent, then cancels
/// them and logs each one it cut.
///
/// It is a service that stops after the HTTP server and the job runner, so the tasks the last
/// requests start are waited for too.
public final class BackgroundTasks: Service {
    private struct Entry {
        let name: String
        let requestID: String?
        let task: Task<Void, Never>
    }

    private struct State {
        var next = 0
        var entries: [Int: Entry] = [:]
        var failed = 0
    }

    private let state = Mutex(State())
    private let changed = Wakeup()
    private let readiness: Readiness
    private let stopBudget: Duration
    private let logger: Logger

    init(readiness: Readiness, stopBudget: Duration, logger: Logger) {
        self.readiness = readiness
        self.stopBudget = stopBudget
        self.logger = logger
    }

    /// Starts `work` now, beside the response; `requestID` goes into its log lines.
    public func add(_ name: String, requestID: String?, _ work: @escaping @Sendable () async throws -> Void) {
        state.withLock { state in
            let id = state.next
            state.next += 1
            let task = Task {
                var failure: (any Error)?
                do { try await work() } catch { failure = error }
                self.finished(id, failure: failure)
            }
            state.entries[id] = Entry(name: name, requestID: requestID, task: task)
        }
    }

    /// Tasks that threw since the process started.
    public var failures: Int { state.withLock { $0.failed } }

    /// Tasks still running.
    public var running: Int { state.withLock { $0.entries.count } }

    /// Logs a failure before the task stops counting as running, so whoever waits for the
    /// tasks to end finds the line written.
    private func finished(_ id: Int, failure: (any Error)?) {
        if let failure {
            let (entry, failures) = state.withLock { state -> (Entry?, Int) in
                state.failed += 1
                return (state.entries[id], state.failed)
            }
            var metadata: Logger.Metadata = ["error": .string("\(failure)"), "background_failures": "\(failures)"]
            if let entry {
                metadata["task"] = .string(entry.name)
                if let requestID = entry.requestID { metadata["request_id"] = .string(requestID) }
            }
            logger.error("background task failed", metadata: metadata)
        }
        state.withLock { _ = $0.entries.removeValue(forKey: id) }
        changed.fire()
    }

    /// Waits for the stop, then for the tasks, within the stop's budget.
    public func run() async throws {
        try? await gracefulShutdown()
        let deadline = (readiness.drainingSince ?? .now) + stopBudget
        while running > 0, ContinuousClock.now < deadline, !Task.isCancelled {
            await changed.wait(upTo: deadline - .now)
        }
        let cut = state.withLock { state in
            defer { state.entries.removeAll() }
            return Array(state.entries.values)
        }
        for entry in cut {
            entry.task.cancel()
            var metadata: Logger.Metadata = ["task": .string(entry.name)]
            if let requestID = entry.requestID { metadata["request_id"] = .string(requestID) }
            logger.warning("background task cut at the graceful timeout", metadata: metadata)
        }
    }
}
