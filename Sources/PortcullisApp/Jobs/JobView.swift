import Foundation
import PortcullisJobs
import PortcullisPlatform

/// A job as `GET /jobs/{id}` shows it: `{id, kind, state, attempts, result, error, trace_id, created_at, updated_at}`.
struct JobView: Encodable {
    let job: JobQueue.Record

    init(_ job: JobQueue.Record) { self.job = job }

    private enum CodingKeys: String, CodingKey {
        case id, kind, state, attempts, result, error
        case traceID = "trace_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(job.id, forKey: .id)
        try container.encode(job.kind, forKey: .kind)
        try container.encode(job.state.rawValue, forKey: .state)
        try container.encode(job.attempts, forKey: .attempts)
        try container.encode(job.result ?? .null, forKey: .result)
        try container.encode(job.error, forKey: .error)
        try container.encode(job.traceID, forKey: .traceID)
        try container.encode(RFC3339.string(from: job.createdAt), forKey: .createdAt)
        try container.encode(RFC3339.string(from: job.updatedAt), forKey: .updatedAt)
    }
}
