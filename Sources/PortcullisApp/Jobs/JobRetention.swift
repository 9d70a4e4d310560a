import Foundation
import Logging
import PortcullisJobs
import Synchronization

/// Deletes succeeded and dead jobs older than `jobs.retention_days`, as a background task
/// that an enqueue starts at most once an hour per process, so the table does not grow without
/// bound and no request waits for the delete.
final class JobRetention: Sendable {
    private let queue: JobQueue
    private let background: BackgroundTasks
    /// Nil keeps finished jobs for ever.
    private let keep: TimeInterval?
    private let logger: Logger
    private let lastRun = Mutex<ContinuousClock.Instant?>(nil)
    static let interval = Duration.seconds(3600)

    init(queue: JobQueue, background: BackgroundTasks, retentionDays: Int, logger: Logger) {
        self.queue = queue
        self.background = background
        self.keep = retentionDays > 0 ? TimeInterval(retentionDays) * 86_400 : nil
        self.logger = logger
    }

    func pruneIfDue(requestID: String?) {
        guard let keep else { return }
        let due = lastRun.withLock { last -> Bool in
            if let last, ContinuousClock.now - last < Self.interval { return false }
            last = .now
            return true
        }
        guard due else { return }
        let queue = self.queue
        let logger = self.logger
        background.add("prune finished jobs", requestID: requestID) {
            let deleted = try await queue.prune(finishedBefore: Date() - keep)
            if deleted > 0 { logger.info("finished jobs pruned", metadata: ["deleted": "\(deleted)"]) }
        }
    }
}
