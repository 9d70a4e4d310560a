public import Foundation
public import PortcullisPersistence
public import PortcullisPlatform

/// The durable job queue: a `jobs` table in the app's database, shared by every worker
/// process and, on PostgreSQL, every node.
///
/// A job is claimed atomically with a lease (one `UPDATE … RETURNING`; on PostgreSQL its rows
/// are picked with `FOR UPDATE SKIP LOCKED`, so claimers never wait for each other), kept
/// alive by heartbeats, and claimed again by anyone once its lease ran out. Every write on
/// behalf of an attempt names the attempt's lease token, so an attempt that lost its lease
/// cannot overwrite the next one's outcome.
public struct JobQueue: Sendable {
    /// The notification channel a commit that enqueued a job signals on PostgreSQL.
    public static let channel = "portcullis_jobs"

    public let store: any Store
    /// How long a claim lasts without a heartbeat (`jobs.lease_seconds`).
    public let lease: Duration
    /// Attempts before a failing job is dead (`jobs.max_attempts`).
    public let maxAttempts: Int

    public init(store: any Store, lease: Duration, maxAttempts: Int) {
        self.store = store
        self.lease = lease
        self.maxAttempts = maxAttempts
    }

    /// A job to enqueue.
    public struct NewJob: Sendable {
        public var kind: String
        public var payload: JSONValue
        /// The user it belongs to; only they can read it through `GET /jobs/{id}`.
        public var ownerID: Int64?
        /// The request that enqueued it, for the logs of its attempts.
        public var requestID: String?
        /// The W3C trace ID of that request; the runner's log lines carry it.
        public var traceID: String?
        /// A second enqueue with the same key (and owner) returns the first job instead.
        public var idempotencyKey: String?
        /// Not before this instant; now when nil.
        public var runAt: Date?

        public init(
            kind: String, payload: JSONValue, ownerID: Int64? = nil, requestID: String? = nil, traceID: String? = nil,
            idempotencyKey: String? = nil, runAt: Date? = nil
        ) {
            self.kind = kind
            self.payload = payload
            self.ownerID = ownerID
            self.requestID = requestID
            self.traceID = traceID
            self.idempotencyKey = idempotencyKey
            self.runAt = runAt
        }
    }

    /// What an enqueue did: `created` is false when the idempotency key named an existing job.
    public struct Enqueued: Sendable, Equatable {
        public let id: Int64
        public let created: Bool
    }

    /// An idempotency key reused for a job of another kind or payload.
    public struct KeyReused: Error, Sendable {
        public let existingID: Int64
    }

    /// Adds a job inside the caller's unit of work: it exists if and only if that commits, and
    /// on PostgreSQL the commit wakes every node's runner.
    public func enqueue(_ job: NewJob, in session: any DatabaseSession) async throws -> Enqueued {
        let payload = JobCoding.text(job.payload)
        let key = job.idempotencyKey.map { "\(job.ownerID ?? 0):\($0)" }
        let now = Date()
        let inserted = try await session.first("""
            INSERT INTO jobs (kind, payload, owner_id, request_id, trace_id, idempotency_key, state, attempts, max_attempts,
                              run_at, created_at, updated_at)
            VALUES (\(job.kind), \(payload), \(job.ownerID.map(DatabaseValue.integer) ?? .null), \(job.requestID), \(job.traceID), \(key),
                    'queued', 0, \(maxAttempts), \(.date(job.runAt ?? now)), \(.date(now)), \(.date(now)))
            ON CONFLICT (idempotency_key) DO NOTHING
            RETURNING id
            """)
        if let inserted {
            if session.dialect == .postgres {
                try await session.query("SELECT pg_notify(\(Self.channel), '')")
            }
            return Enqueued(id: try inserted.int("id"), created: true)
        }
        guard let existing = try await session.first("SELECT id, kind, payload FROM jobs WHERE idempotency_key = \(key)") else {
            throw StoreError.unavailable("a job with this idempotency key vanished")
        }
        let id = try existing.int("id")
        guard try existing.string("kind") == job.kind, try existing.string("payload") == payload else { throw KeyReused(existingID: id) }
        return Enqueued(id: id, created: false)
    }

    /// A claimed attempt of a job.
    public struct Claim: Sendable {
        public let id: Int64
        public let kind: String
        public let payload: JSONValue
        /// This attempt's number, from 1.
        public let attempt: Int
        public let maxAttempts: Int
        public let requestID: String?
        public let traceID: String?
        /// Proves the claim in every later write of this attempt.
        let token: String
    }

    /// What one claim found: the jobs now leased to the caller, and when the earliest job left
    /// becomes due (its `run_at`, or its lease running out); nil when none is waiting.
    public struct ClaimBatch: Sendable {
        public let jobs: [Claim]
        public let nextDue: Date?
    }

    /// In one unit of work: ends the claims whose lease ran out (their job is retried, or dead
    /// when it has no attempt left), then claims up to `limit` due jobs, oldest `run_at` first.
    public func claim(limit: Int) async throws -> ClaimBatch {
        let token = UUID().uuidString
        let lease = self.lease
        return try await store.transaction(.write) { session in
            let now = Date()
            try await Self.endExpiredLeases(now: now, in: session)
            var jobs: [Claim] = []
            if limit > 0 {
                let skipLocked: SQL = session.dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
                let statement: SQL = """
                    UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_token = \(token),
                        lease_expires_at = \(.date(now + lease.seconds)), updated_at = \(.date(now))
                    WHERE id IN (SELECT id FROM jobs WHERE state IN ('queued', 'retrying') AND run_at <= \(.date(now))
                                 ORDER BY run_at, id LIMIT \(limit)
                    """ + skipLocked + ") RETURNING id, kind, payload, attempts, max_attempts, request_id, trace_id"
                for row in try await session.query(statement) {
                    jobs.append(Claim(
                        id: try row.int("id"), kind: try row.string("kind"), payload: JobCoding.value(try row.string("payload")),
                        attempt: Int(try row.int("attempts")), maxAttempts: Int(try row.int("max_attempts")),
                        requestID: try row.optionalString("request_id"), traceID: try row.optionalString("trace_id"), token: token
                    ))
                }
            }
            return ClaimBatch(jobs: jobs.sorted { $0.id < $1.id }, nextDue: try await Self.nextDue(in: session))
        }
    }

    private static func endExpiredLeases(now: Date, in session: any DatabaseSession) async throws {
        let message = "the process running this attempt stopped before it finished"
        try await session.query("""
            UPDATE jobs SET state = 'dead', error = \(message), lease_token = NULL, lease_expires_at = NULL, updated_at = \(.date(now))
            WHERE state = 'running' AND lease_expires_at < \(.date(now)) AND attempts >= max_attempts
            """)
        try await session.query("""
            UPDATE jobs SET state = 'retrying', error = \(message), run_at = \(.date(now)), lease_token = NULL,
                lease_expires_at = NULL, updated_at = \(.date(now))
            WHERE state = 'running' AND lease_expires_at < \(.date(now))
            """)
    }

    private static func nextDue(in session: any DatabaseSession) async throws -> Date? {
        guard let row = try await session.first("""
            SELECT (SELECT MIN(run_at) FROM jobs WHERE state IN ('queued', 'retrying')) AS due,
                   (SELECT MIN(lease_expires_at) FROM jobs WHERE state = 'running') AS expires
            """) else { return nil }
        let instants = try ["due", "expires"].compactMap { column in row[column] == .null ? nil : try row.date(column) }
        return instants.min()
    }

    /// Extends the claim's lease; false when it was lost (it ran out and another process claimed the job).
    public func heartbeat(_ claim: Claim) async throws -> Bool {
        let lease = self.lease
        return try await store.transaction(.write) { session in
            try await session.first("""
                UPDATE jobs SET lease_expires_at = \(.date(Date() + lease.seconds))
                WHERE id = \(claim.id) AND lease_token = \(claim.token) AND state = 'running' RETURNING id
                """) != nil
        }
    }

    /// Records how the attempt ended and returns the job's new state; nil when the claim was
    /// lost, so the outcome was not recorded. A failure that leaves attempts schedules the
    /// next one after `retryDelay`.
    @discardableResult
    func finish(
        _ claim: Claim, outcome: JobState.AttemptOutcome, result: JSONValue? = nil, error: String? = nil,
        retryDelay: Duration = .zero
    ) async throws -> JobState? {
        let state = JobState.after(outcome, attempts: claim.attempt, maxAttempts: claim.maxAttempts)
        let resultText = result.map(JobCoding.text)
        return try await store.transaction(.write) { session in
            let now = Date()
            let row: DatabaseRow?
            switch outcome {
            case .succeeded, .failed:
                row = try await session.first("""
                    UPDATE jobs SET state = \(state.rawValue), result = \(resultText), error = \(error),
                        run_at = \(.date(now + retryDelay.seconds)), lease_token = NULL, lease_expires_at = NULL,
                        updated_at = \(.date(now))
                    WHERE id = \(claim.id) AND lease_token = \(claim.token) AND state = 'running' RETURNING id
                    """)
            case .released:
                row = try await session.first("""
                    UPDATE jobs SET state = \(state.rawValue), attempts = attempts - 1, run_at = \(.date(now)),
                        lease_token = NULL, lease_expires_at = NULL, updated_at = \(.date(now))
                    WHERE id = \(claim.id) AND lease_token = \(claim.token) AND state = 'running' RETURNING id
                    """)
            }
            guard row != nil else { return nil }
            if session.dialect == .postgres, state == .queued || state == .retrying {
                try await session.query("SELECT pg_notify(\(Self.channel), '')")
            }
            return state
        }
    }

    /// A job as its owner sees it.
    public struct Record: Sendable, Equatable {
        public let id: Int64
        public let kind: String
        public let state: JobState
        public let attempts: Int
        public let result: JSONValue?
        public let error: String?
        /// The W3C trace ID of the request that queued it.
        public let traceID: String?
        public let createdAt: Date
        public let updatedAt: Date
    }

    /// The job `id` if `ownerID` owns it (any owner when nil).
    public func find(id: Int64, ownerID: Int64?, in session: any DatabaseSession) async throws -> Record? {
        let owner: SQL = ownerID.map { " AND owner_id = \($0)" } ?? ""
        guard let row = try await session.first(
            "SELECT id, kind, state, attempts, result, error, trace_id, created_at, updated_at FROM jobs WHERE id = \(id)" + owner
        ) else { return nil }
        guard let state = JobState(rawValue: try row.string("state")) else { throw StoreError.unexpectedColumn("state") }
        return Record(
            id: try row.int("id"), kind: try row.string("kind"), state: state, attempts: Int(try row.int("attempts")),
            result: try row.optionalString("result").map(JobCoding.value), error: try row.optionalString("error"),
            traceID: try row.optionalString("trace_id"), createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at")
        )
    }

    /// Deletes succeeded and dead jobs last changed before `cutoff`; returns how many.
    public func prune(finishedBefore cutoff: Date) async throws -> Int {
        try await store.transaction(.write) { session in
            try await session.query(
                "DELETE FROM jobs WHERE state IN ('succeeded', 'dead') AND updated_at < \(.date(cutoff)) RETURNING id"
            ).count
        }
    }

    /// The queue as gauges: jobs by kind and state (`queued`, `running`, `retrying`, `dead`),
    /// and the age of the oldest job waiting to run.
    public func gauges(now: Date = Date()) async throws -> [GaugeSample] {
        try await store.transaction(.readOnly) { session in
            var samples = try await session.query(
                "SELECT kind, state, COUNT(*) AS jobs FROM jobs WHERE state IN ('queued', 'running', 'retrying', 'dead') GROUP BY kind, state"
            ).map { row in
                GaugeSample(
                    name: "portcullis_jobs", help: "Jobs by kind and state.",
                    labels: ["kind": try row.string("kind"), "state": try row.string("state")], value: Double(try row.int("jobs")))
            }
            let oldest = try await session.query(
                "SELECT run_at FROM jobs WHERE state = 'queued' AND run_at <= \(.date(now)) ORDER BY run_at LIMIT 1"
            ).first.map { try $0.date("run_at") }
            samples.append(GaugeSample(
                name: "portcullis_jobs_oldest_queued_age_seconds", help: "How long the oldest queued job has been due; 0 when none is.",
                value: oldest.map { max(0, now.timeIntervalSince($0)) } ?? 0))
            return samples
        }
    }
}
