import Foundation
import Logging
@testable import PortcullisJobs
import PortcullisPersistence
import PortcullisPlatform
import TestSupport

/// A migrated database of its own on `backend`, with `stores` stores on it — each one as a
/// separate process would have it — running for the duration of `body`.
func withStores<T: Sendable>(
    _ backend: DatabaseBackend, count: Int = 1, _ body: @Sendable ([any Store]) async throws -> T
) async throws -> T {
    try await withTemporaryDirectory { directory in
        try await TestDatabase.with(backend, in: directory) { database in
            let config = try PortcullisConfig.testing(stateDir: directory.path, overrides: testStoreDefaults(database))
            let stores = try (0..<count).map { _ in try StoreFactory.make(config.database, logger: Logger(label: "test")) }
            return try await withThrowingTaskGroup(of: Void.self) { group in
                for store in stores { group.addTask { try await store.run() } }
                defer { group.cancelAll() }
                try await Migrator.migrate(stores[0])
                return try await body(stores)
            }
        }
    }
}

extension JobQueue {
    init(_ store: any Store, lease: Duration = .seconds(30), maxAttempts: Int = 5) {
        self.init(store: store, lease: lease, maxAttempts: maxAttempts)
    }

    /// Enqueues in a unit of work of its own.
    @discardableResult
    func enqueue(_ job: NewJob) async throws -> Enqueued {
        try await store.transaction(.write) { session in try await enqueue(job, in: session) }
    }

    func record(_ id: Int64) async throws -> Record? {
        try await store.transaction(.readOnly) { session in try await find(id: id, ownerID: nil, in: session) }
    }

    func count() async throws -> Int64 {
        try await store.transaction(.readOnly) { session in try await session.first("SELECT COUNT(*) AS n FROM jobs")?.int("n") ?? -1 }
    }

    /// Waits until job `id` reaches one of `states`, for at most `timeout`.
    func waitFor(_ id: Int64, in states: Set<JobState>, timeout: Duration = .seconds(20)) async throws -> Record {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let job = try await record(id), states.contains(job.state) { return job }
            guard ContinuousClock.now < deadline else { throw Timeout(description: "job \(id) never reached \(states)") }
            try await Task.sleep(for: .milliseconds(25))
        }
    }
}

struct Timeout: Error, CustomStringConvertible {
    let description: String
}

struct Boom: Error {}

extension LogCapture {
    /// The `msg` of every JSON line.
    var messages: [String] { records.compactMap { $0["msg"] as? String } }
}
