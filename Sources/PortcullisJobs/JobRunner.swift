import Foundation
public import Logging
import PortcullisPlatform
public import ServiceLifecycle
import Synchronization

/// Runs the jobs of ``JobQueue`` in this process, at most `concurrency` at a time.
///
/// It claims when woken — by an enqueue in this process (``nudge()``), a notification from
/// PostgreSQL, a finished job — and otherwise when the earliest waiting job is due, looking at
/// least every `pollInterval` (how other processes' jobs are found on SQLite, which has no
/// notifications). Each attempt's lease is renewed by a heartbeat every third of its length.
///
/// On a graceful stop it claims nothing more and lets running attempts finish until
/// `stopBudget`; those still running then are cancelled and released, so another process
/// takes them at once instead of after their lease.
public final class JobRunner: Service {
    private let queue: JobQueue
    private let handlers: [String: JobHandler]
    private let concurrency: Int
    private let retry: RetryPolicy
    private let pollInterval: Duration
    private let stopBudget: Duration
    private let logger: Logger
    private let wakeup = Wakeup()
    private let running = Mutex<Set<Int64>>([])
    private let stopping = Atomic<Bool>(false)

    /// - Parameters:
    ///   - stopBudget: how long a graceful stop waits for running attempts.
    public init(
        queue: JobQueue, handlers: [JobHandler], concurrency: Int, retry: RetryPolicy = RetryPolicy(),
        pollInterval: Duration, stopBudget: Duration, logger: Logger
    ) {
        self.queue = queue
        self.handlers = Dictionary(handlers.map { ($0.kind, $0) }, uniquingKeysWith: { _, last in last })
        self.concurrency = concurrency
        self.retry = retry
        self.pollInterval = pollInterval
        self.stopBudget = stopBudget
        self.logger = logger
    }

    /// Looks for work now: call after committing a unit of work that enqueued a job.
    public func nudge() { wakeup.fire() }

    public func run() async throws {
        let notifications = queue.store.notifications(on: JobQueue.channel)
        await withDiscardingTaskGroup { group in
            if let notifications {
                group.addTask { [wakeup] in
                    for await _ in notifications { wakeup.fire() }
                }
            }
            await withGracefulShutdownHandler {
                await claimLoop()
            } onGracefulShutdown: {
                self.stopping.store(true, ordering: .releasing)
                self.wakeup.fire()
            }
            group.cancelAll()
        }
    }

    private var isStopping: Bool { stopping.load(ordering: .acquiring) }

    private func claimLoop() async {
        await withDiscardingTaskGroup { attempts in
            var failures = 0
            while !isStopping && !Task.isCancelled {
                let free = concurrency - running.withLock { $0.count }
                guard free > 0 else {
                    await wakeup.wait(upTo: pollInterval)
                    continue
                }
                let batch: JobQueue.ClaimBatch
                do {
                    batch = try await queue.claim(limit: free)
                    failures = 0
                } catch {
                    failures += 1
                    if failures == 1 || failures % 60 == 0 {
                        logger.error("claiming jobs failed", metadata: ["error": .string("\(error)"), "failures": "\(failures)"])
                    }
                    await wakeup.wait(upTo: .seconds(1))
                    continue
                }
                for claim in batch.jobs {
                    running.withLock { _ = $0.insert(claim.id) }
                    attempts.addTask {
                        await self.attempt(claim)
                        self.running.withLock { _ = $0.remove(claim.id) }
                        self.wakeup.fire()
                    }
                }
                if batch.jobs.count == free { continue }
                await wakeup.wait(upTo: idleWait(until: batch.nextDue))
            }
            await finishOrRelease(cancelling: &attempts)
        }
    }

    /// How long to sleep when nothing more could be claimed: until the next job is due, but at
    /// least a moment (a due job may be locked by another claimer) and at most `pollInterval`.
    private func idleWait(until due: Date?) -> Duration {
        guard let due else { return pollInterval }
        let seconds = due.timeIntervalSinceNow
        return min(max(.milliseconds(Int64(seconds * 1000)), .milliseconds(50)), pollInterval)
    }

    /// The graceful stop: waits for the running attempts until `stopBudget`, then cancels the
    /// rest, which release their jobs.
    private func finishOrRelease(cancelling attempts: inout DiscardingTaskGroup) async {
        let deadline = ContinuousClock.now + stopBudget
        var remaining = running.withLock { $0.count }
        if remaining > 0 { logger.info("letting running jobs finish", metadata: ["jobs": "\(remaining)"]) }
        while remaining > 0, ContinuousClock.now < deadline, !Task.isCancelled {
            await wakeup.wait(upTo: deadline - ContinuousClock.now)
            remaining = running.withLock { $0.count }
        }
        if remaining > 0 {
            logger.warning("graceful timeout reached; releasing the jobs still running", metadata: ["jobs": "\(remaining)"])
            attempts.cancelAll()
        }
    }

    /// One attempt: runs the handler with its lease kept alive, then records the outcome.
    private func attempt(_ claim: JobQueue.Claim) async {
        var attemptLogger = self.logger
        attemptLogger[metadataKey: "job_id"] = "\(claim.id)"
        attemptLogger[metadataKey: "job_kind"] = .string(claim.kind)
        attemptLogger[metadataKey: "attempt"] = "\(claim.attempt)"
        if let requestID = claim.requestID { attemptLogger[metadataKey: "request_id"] = .string(requestID) }
        if let traceID = claim.traceID { attemptLogger[metadataKey: "trace_id"] = .string(traceID) }
        let logger = attemptLogger
        logger.info("job started")
        let started = ContinuousClock.now
        // The first outcome wins: the handler's, or a lost lease. The heartbeat ends without one
        // only when the attempt is cancelled; then the handler's answer to that is the outcome.
        var outcome = await withTaskGroup(of: Result<JSONValue, any Error>?.self) { group in
            group.addTask { await self.keepLeased(claim, logger: logger) }
            group.addTask { await self.perform(claim, logger: logger) }
            var outcome: Result<JSONValue, any Error>?
            while let next = await group.next() {
                guard let next else { continue }
                outcome = next
                break
            }
            group.cancelAll()
            return outcome
        }
        // A handler that failed because a stop cancelled it did not fail on its own.
        if Task.isCancelled, case .failure(let error)? = outcome, !(error is LeaseLost) {
            outcome = .failure(CancellationError())
        }
        let elapsed = ContinuousClock.now - started
        let milliseconds = elapsed.milliseconds
        attemptLogger[metadataKey: "duration_ms"] = .stringConvertible((milliseconds * 10).rounded() / 10)
        let finalOutcome = outcome
        let outcomeLogger = attemptLogger
        // The outcome is recorded even when this task was cancelled (a stop that ran out of time).
        let recorded = await Task {
            await self.record(finalOutcome, of: claim, logger: outcomeLogger)
        }.value
        let kind = handlers[claim.kind] == nil ? "unknown" : claim.kind
        Self.runs[kind, recorded].increment()
        Self.durations[kind].recordInterval(since: started)
    }

    /// Attempts by kind and outcome, and how long they ran, for the node's metrics.
    static let runs = MetricFamily.counter("portcullis_job_runs_total", labels: ["kind", "outcome"])
    static let durations = MetricFamily.timer("portcullis_job_run_duration_seconds", labels: ["kind"])

    /// Renews the lease until cancelled; returns nil, or a failure when the lease was lost.
    private func keepLeased(_ claim: JobQueue.Claim, logger: Logger) async -> Result<JSONValue, any Error>? {
        let interval = queue.lease / 3
        while true {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return nil
            }
            do {
                if try await !queue.heartbeat(claim) {
                    logger.warning("job lease lost; another process may run this job")
                    return .failure(LeaseLost())
                }
            } catch {
                logger.warning("job heartbeat failed", metadata: ["error": .string("\(error)")])
            }
        }
    }

    private func perform(_ claim: JobQueue.Claim, logger: Logger) async -> Result<JSONValue, any Error>? {
        guard let handler = handlers[claim.kind] else {
            return .failure(JobFailure("no handler for jobs of kind \(claim.kind)", permanent: true))
        }
        let context = JobContext(id: claim.id, kind: claim.kind, attempt: claim.attempt, payload: claim.payload, logger: logger)
        do {
            return .success(try await handler.perform(context))
        } catch {
            return .failure(error)
        }
    }

    /// Records the attempt's outcome in the queue; returns it as the `outcome` label says it:
    /// `succeeded`, `retrying`, `dead`, `released` or `lost` (the lease was lost, or recording failed).
    private func record(_ outcome: Result<JSONValue, any Error>?, of claim: JobQueue.Claim, logger: Logger) async -> String {
        do {
            switch outcome {
            case .success(let result):
                guard try await queue.finish(claim, outcome: .succeeded, result: result) != nil else {
                    logger.warning("job finished after its lease was lost; its outcome was not recorded")
                    return "lost"
                }
                logger.info("job succeeded")
                return "succeeded"
            case .failure(is LeaseLost):
                return "lost"
            case .failure(is CancellationError), nil:
                guard try await queue.finish(claim, outcome: .released) != nil else { return "lost" }
                logger.notice("job released by a stopping process; another attempt will run it")
                return "released"
            case .failure(let error):
                let failure = error as? JobFailure
                if failure == nil {
                    logger.error("job handler failed unexpectedly", metadata: ["error": .string("\(error)")])
                }
                let message = failure?.description ?? "the job failed unexpectedly"
                let delay = retry.delay(afterAttempt: claim.attempt)
                let state = try await queue.finish(
                    claim, outcome: .failed(permanent: failure?.isPermanent ?? false), error: message, retryDelay: delay
                )
                switch state {
                case .retrying?:
                    logger.warning("job failed; will retry", metadata: [
                        "error": .string(message), "retry_in_s": .stringConvertible((delay.seconds * 10).rounded() / 10),
                    ])
                    return "retrying"
                case .dead?:
                    logger.error("job failed; it is dead", metadata: ["error": .string(message), "attempts": "\(claim.attempt)"])
                    return "dead"
                default:
                    logger.warning("job failed after its lease was lost; its outcome was not recorded")
                    return "lost"
                }
            }
        } catch {
            logger.error("recording a job's outcome failed; it runs again when its lease runs out", metadata: ["error": .string("\(error)")])
            return "lost"
        }
    }

    private struct LeaseLost: Error {}
}
