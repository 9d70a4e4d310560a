public import Logging
public import PortcullisPlatform

/// One attempt of a job, as its handler sees it.
public struct JobContext: Sendable {
    public let id: Int64
    public let kind: String
    /// 1 for the first attempt.
    public let attempt: Int
    public let payload: JSONValue
    /// Carries the job's id, kind, attempt and the id of the request that enqueued it.
    public let logger: Logger
}

/// The code that runs the jobs of one kind. It returns the result stored on the job, or
/// throws: a ``JobFailure`` with a message for the job's `error`, anything else as an
/// unexpected failure whose detail goes to the log only. A handler may run more than once for
/// one job (at-least-once), so its effect should be idempotent, keyed by the job's id.
public struct JobHandler: Sendable {
    public let kind: String
    let perform: @Sendable (JobContext) async throws -> JSONValue

    public init(kind: String, perform: @escaping @Sendable (JobContext) async throws -> JSONValue) {
        self.kind = kind
        self.perform = perform
    }
}

/// A handler's failure, with the text clients see in the job's `error`.
public struct JobFailure: Error, CustomStringConvertible {
    public let description: String
    /// Trying again cannot help (the input is wrong): the job is dead at once.
    public let isPermanent: Bool

    public init(_ description: String, permanent: Bool = false) {
        self.description = description
        self.isPermanent = permanent
    }
}
