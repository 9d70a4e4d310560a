import Foundation
import HTTPTypes
import Hummingbird
import PortcullisJobs
import PortcullisHTTP
import PortcullisPlatform

/// `POST /send-email`, `POST /process-data` and `GET /jobs/{id}`: durable jobs, enqueued in the
/// request's unit of work and run by the job runner of any worker process (or node).
enum JobsBlueprint {
    static let email = BodySchema(name: "EmailRequest", fields: [
        FieldRule("to", .string(minLength: 3, maxLength: 254, format: .email), summary: "The recipient."),
        FieldRule("subject", .string(minLength: 1, maxLength: 255), summary: "Any text; encoded as RFC 2047 when not ASCII."),
        FieldRule("body", .string(minLength: 1, maxLength: 100_000), summary: "Plain text."),
    ])
    static let data = BodySchema(name: "ProcessDataRequest", fields: [
        FieldRule("items", .numbers(minItems: 1, maxItems: 10_000), summary: "The numbers to summarise."),
    ])
    static let idempotencyHeader = HTTPField.Name("Idempotency-Key")!
    /// The window of `mail.max_per_user`.
    static let mailWindow: TimeInterval = 60 * 60

    /// A limit on the jobs of one kind a user may queue: `limit` in `window` seconds.
    struct Quota: Sendable {
        let limit: Int
        let window: TimeInterval
    }

    /// - Parameter mailPerUser: `mail.max_per_user`, the emails one user may queue in an hour.
    static func make(services: AppServices, mailPerUser: Int) -> Blueprint {
        var blueprint = Blueprint(name: "jobs")
        let keyDescription = "An optional `Idempotency-Key` header (1–255 printable ASCII characters) makes a retried request return the job the first one created."
        blueprint.post("send-email", doc: RouteDoc(
            summary: "Queue an email", description: keyDescription + " A user may queue `mail.max_per_user` emails an hour.",
            requestBody: email,
            responses: [
                .init(202, "Queued; poll `GET /jobs/{job_id}`.", schema: "EmailQueued"),
                .init(429, "This user queued as many emails as an hour allows; Retry-After says for how long.", schema: "Error"),
            ],
            bearer: true
        ), queueing(
            SendEmailJob.kind, schema: email, services: services, quota: Quota(limit: mailPerUser, window: mailWindow),
            payload: { ["to": .string($0.string("to")), "subject": .string($0.string("subject")), "body": .string($0.string("body"))] },
            reply: { ["message": "Email queued", "job_id": .int(Int($0))] }
        ))
        blueprint.post("process-data", doc: RouteDoc(
            summary: "Queue a computation", description: keyDescription, requestBody: data,
            responses: [.init(202, "Queued; the result is `{count, sum, min, max, mean}`.", schema: "JobQueued")], bearer: true
        ), queueing(
            ProcessDataJob.kind, schema: data, services: services,
            payload: { ["items": .array($0.numbers("items").map(JSONValue.double))] },
            reply: { ["job_id": .int(Int($0))] }
        ))
        blueprint.get("jobs/:id", doc: RouteDoc(
            summary: "Get a job you queued",
            responses: [.init(200, "The job.", schema: "Job"), .init(404, "You have no job with this id.", schema: "Error")],
            bearer: true
        )) { request, context in
            let user = try await BearerAuth.userID(of: request, tokens: services.tokens)
            let notFound = APIError.notFound("You have no job with this id.")
            guard let id = context.parameters.get("id").flatMap(Int64.init), id > 0 else { throw notFound }
            guard let job = try await services.store.transaction(.readOnly, { session in
                try await services.jobs.find(id: id, ownerID: user, in: session)
            }) else { throw notFound }
            return try JSONResponse.make(JobView(job))
        }
        return blueprint
    }

    /// A route that authenticates, validates its body against `schema`, enqueues a job of
    /// `kind` with `payload` made of the body, and answers 202 with `reply` made of the job's id.
    private static func queueing(
        _ kind: String, schema: BodySchema, services: AppServices, quota: Quota? = nil,
        payload: @escaping @Sendable (ValidBody) -> JSONValue, reply: @escaping @Sendable (Int64) -> JSONValue
    ) -> RouteHandler {
        { request, context in
            let user = try await BearerAuth.userID(of: request, tokens: services.tokens)
            let body = try await JSONBody.read(request, context: context, schema: schema)
            let id = try await enqueue(kind, payload(body), user: user, quota: quota, request: request, context: context, services: services)
            var response = try JSONResponse.make(reply(id), status: .accepted)
            response.headers[.location] = "/jobs/\(id)"
            return response
        }
    }

    /// Enqueues in a unit of work of its own, wakes this process's runner once it committed,
    /// and now and then prunes old finished jobs in the background. A new job beyond the
    /// user's `quota` rolls the unit of work back and is refused with 429.
    private static func enqueue(
        _ kind: String, _ payload: JSONValue, user: Int64, quota: Quota?, request: Request, context: AppRequestContext, services: AppServices
    ) async throws -> Int64 {
        let key = try idempotencyKey(of: request)
        let job = JobQueue.NewJob(kind: kind, payload: payload, ownerID: user, requestID: context.requestID, traceID: context.traceID, idempotencyKey: key)
        let enqueued: JobQueue.Enqueued
        do {
            enqueued = try await services.store.transaction(.write) { session in
                let enqueued = try await services.jobs.enqueue(job, in: session)
                if enqueued.created, let quota,
                    let seconds = try await WindowCounter.count("\(kind):\(user)", limit: quota.limit, window: quota.window, in: session) {
                    throw APIError.tooManyRequests(retryAfter: seconds)
                }
                return enqueued
            }
        } catch is JobQueue.KeyReused {
            throw APIError.conflict("This Idempotency-Key was used for another request.", fields: ["Idempotency-Key": "was used for another request"])
        }
        if enqueued.created { services.runner.nudge() }
        services.retention.pruneIfDue(requestID: context.requestID)
        return enqueued.id
    }

    private static func idempotencyKey(of request: Request) throws(APIError) -> String? {
        guard let key = request.headers[idempotencyHeader] else { return nil }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw APIError.validationFailed(fields: ["Idempotency-Key": "must be 1 to 255 printable ASCII characters"])
        }
        return key
    }
}
