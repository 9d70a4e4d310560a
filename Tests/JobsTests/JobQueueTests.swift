import Foundation
@testable import PortcullisJobs
import Synchronization
import TestSupport
import Testing

/// The queue on both backends: enqueue in the caller's unit of work, exclusive claims, leases,
/// delays and idempotency keys.
@Suite struct JobQueueTests {
    @Test("an enqueue in a rolled-back unit of work leaves no job; a committed one is claimed", arguments: DatabaseBackend.allCases)
    func enqueueFollowsTheTransaction(backend: DatabaseBackend) async throws {
        try await withStores(backend) { stores in
            let queue = JobQueue(stores[0])
            await #expect(throws: Boom.self) {
                try await stores[0].transaction(.write) { session in
                    _ = try await queue.enqueue(.init(kind: "k", payload: ["n": .int(1)]), in: session)
                    throw Boom()
                }
            }
            #expect(try await queue.count() == 0)
            #expect(try await queue.claim(limit: 10).jobs.isEmpty)

            let enqueued = try await queue.enqueue(.init(kind: "k", payload: ["n": .int(2)]))
            let claimed = try await queue.claim(limit: 10).jobs
            #expect(claimed.map(\.id) == [enqueued.id])
            #expect(claimed.first?.payload == ["n": .int(2)])
            #expect(claimed.first?.attempt == 1)
            #expect(try await queue.record(enqueued.id)?.state == .running)
        }
    }

    @Test("claimers on separate stores never get the same job", arguments: DatabaseBackend.allCases)
    func claimsAreExclusive(backend: DatabaseBackend) async throws {
        try await withStores(backend, count: 4) { stores in
            let total = 200
            try await stores[0].transaction(.write) { session in
                for number in 0..<total { _ = try await JobQueue(stores[0]).enqueue(.init(kind: "k", payload: .int(number)), in: session) }
            }
            let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for store in stores {
                    group.addTask {
                        var mine: [Int64] = []
                        while true {
                            let batch = try await JobQueue(store).claim(limit: 7).jobs
                            if batch.isEmpty { return mine }
                            mine += batch.map(\.id)
                        }
                    }
                }
                return try await group.reduce(into: [[Int64]]()) { $0.append($1) }
            }
            let all = claimed.flatMap { $0 }
            #expect(all.count == total)
            #expect(Set(all).count == total)
            #expect(claimed.filter { !$0.isEmpty }.count > 1, "the claimers shared the work: \(claimed.map(\.count))")
        }
    }

    @Test("a claimed job is nobody else's while its lease holds", arguments: DatabaseBackend.allCases)
    func leasesAreExclusive(backend: DatabaseBackend) async throws {
        try await withStores(backend, count: 2) { stores in
            let first = JobQueue(stores[0], lease: .seconds(60))
            let id = try await first.enqueue(.init(kind: "k", payload: [:])).id
            let beforeClaim = Date()
            let held = try #require(try await first.claim(limit: 1).jobs.first)
            let afterClaim = Date()
            let meanwhile = try await JobQueue(stores[1]).claim(limit: 1)
            #expect(held.id == id)
            #expect(meanwhile.jobs.isEmpty)
            let due = try #require(meanwhile.nextDue)
            #expect(due >= beforeClaim + 59.999 && due <= afterClaim + 60.001, "the lease runs out 60 s after the claim")
        }
    }

    @Test("a claim whose lease ran out is taken again, and the late outcome is refused", arguments: DatabaseBackend.allCases)
    func expiredLeasesAreReclaimed(backend: DatabaseBackend) async throws {
        try await withStores(backend, count: 2) { stores in
            let first = JobQueue(stores[0], lease: .seconds(1))
            let second = JobQueue(stores[1], lease: .seconds(30))
            let id = try await first.enqueue(.init(kind: "k", payload: [:])).id
            let dying = try #require(try await first.claim(limit: 1).jobs.first)
            try await Task.sleep(for: .milliseconds(1200))
            let retaken = try #require(try await second.claim(limit: 1).jobs.first)
            #expect(retaken.id == id)
            #expect(retaken.attempt == 2)
            #expect(try await first.heartbeat(dying) == false)
            #expect(try await second.heartbeat(retaken) == true)
            #expect(try await first.finish(dying, outcome: .succeeded, result: "late") == nil)
            #expect(try await second.finish(retaken, outcome: .succeeded, result: "done") == .succeeded)
            let job = try #require(try await first.record(id))
            #expect(job.state == .succeeded)
            #expect(job.result == "done")
            #expect(job.attempts == 2)
        }
    }

    @Test("a job whose last attempt's process died is dead, with the reason", arguments: DatabaseBackend.allCases)
    func lastExpiredAttemptIsDead(backend: DatabaseBackend) async throws {
        try await withStores(backend) { stores in
            let queue = JobQueue(stores[0], lease: .seconds(1), maxAttempts: 1)
            let id = try await queue.enqueue(.init(kind: "k", payload: [:])).id
            _ = try await queue.claim(limit: 1)
            try await Task.sleep(for: .milliseconds(1200))
            #expect(try await queue.claim(limit: 1).jobs.isEmpty)
            let job = try #require(try await queue.record(id))
            #expect(job.state == .dead)
            #expect(job.error == "the process running this attempt stopped before it finished")
        }
    }

    @Test("a job waits for its run_at", arguments: DatabaseBackend.allCases)
    func delayedJobsWait(backend: DatabaseBackend) async throws {
        try await withStores(backend) { stores in
            let queue = JobQueue(stores[0])
            let runAt = Date() + 3
            let id = try await queue.enqueue(.init(kind: "k", payload: [:], runAt: runAt)).id
            let early = try await queue.claim(limit: 5)
            #expect(early.jobs.isEmpty || Date() >= runAt)
            #expect(abs(try #require(early.nextDue).timeIntervalSince(runAt)) < 0.001)
            try await Task.sleep(until: .now + .seconds(max(0, runAt.timeIntervalSinceNow)) + .milliseconds(100))
            #expect(try await queue.claim(limit: 5).jobs.map(\.id) == [id])
        }
    }

    @Test("an idempotency key returns the first job, per owner, and refuses another payload", arguments: DatabaseBackend.allCases)
    func idempotencyKeys(backend: DatabaseBackend) async throws {
        try await withStores(backend) { stores in
            let queue = JobQueue(stores[0])
            let job = JobQueue.NewJob(kind: "k", payload: ["a": .int(1)], ownerID: 7, idempotencyKey: "abc")
            let first = try await queue.enqueue(job)
            #expect(first.created)
            #expect(try await queue.enqueue(job) == JobQueue.Enqueued(id: first.id, created: false))
            var other = job
            other.payload = ["a": .int(2)]
            await #expect(throws: JobQueue.KeyReused.self) { try await queue.enqueue(other) }
            var otherOwner = job
            otherOwner.ownerID = 8
            let theirs = try await queue.enqueue(otherOwner)
            #expect(theirs.created && theirs.id != first.id)
            #expect(try await queue.count() == 2)
        }
    }

    @Test("job states move as documented")
    func transitions() {
        #expect(JobState.after(.succeeded, attempts: 1, maxAttempts: 5) == .succeeded)
        #expect(JobState.after(.failed(permanent: false), attempts: 4, maxAttempts: 5) == .retrying)
        #expect(JobState.after(.failed(permanent: false), attempts: 5, maxAttempts: 5) == .dead)
        #expect(JobState.after(.failed(permanent: true), attempts: 1, maxAttempts: 5) == .dead)
        #expect(JobState.after(.released, attempts: 1, maxAttempts: 5) == .queued)
        #expect(JobState.after(.released, attempts: 3, maxAttempts: 5) == .retrying)
    }

    @Test("backoff doubles per attempt, with jitter in its upper half, up to the cap")
    func backoff() {
        let policy = RetryPolicy(base: .seconds(1), cap: .seconds(60))
        #expect(policy.delay(afterAttempt: 1, jitter: 0) == .milliseconds(500))
        #expect(policy.delay(afterAttempt: 1, jitter: 1) == .seconds(1))
        #expect(policy.delay(afterAttempt: 4, jitter: 0) == .seconds(4))
        #expect(policy.delay(afterAttempt: 4, jitter: 1) == .seconds(8))
        #expect(policy.delay(afterAttempt: 20, jitter: 1) == .seconds(60))
        let spread = Set((0..<50).map { _ in policy.delay(afterAttempt: 3) })
        #expect(spread.count > 1 && spread.allSatisfy { $0 >= .seconds(2) && $0 <= .seconds(4) })
    }
}
