/// Where a job is in its life, as `GET /jobs/{id}` reports it. The transitions:
///
/// ```
/// queued ──claimed──▶ running ──handler returned──▶ succeeded
/// retrying ─claimed─▶ running ──handler failed, attempts left──▶ retrying (at run_at, after a backoff)
///                     running ──handler failed for good, or no attempts left──▶ dead
///                     running ──released by a graceful stop──▶ queued / retrying (the attempt is not counted)
///                     running ──its process died (lease ran out)──▶ retrying, or dead with no attempts left
/// ```
///
/// `succeeded` and `dead` are final; `dead` keeps the last error.
public enum JobState: String, Sendable, CaseIterable {
    case queued
    case running
    case retrying
    case succeeded
    case dead

    /// How one attempt of a running job ended.
    enum AttemptOutcome: Sendable, Equatable {
        case succeeded
        /// The handler threw; `permanent` when trying again cannot help.
        case failed(permanent: Bool)
        /// This process stopped before the attempt finished; it did not count.
        case released
    }

    /// The state a running job moves to when its attempt (the `attempts`th) ends with `outcome`.
    static func after(_ outcome: AttemptOutcome, attempts: Int, maxAttempts: Int) -> JobState {
        switch outcome {
        case .succeeded: .succeeded
        case .failed(let permanent): permanent || attempts >= maxAttempts ? .dead : .retrying
        case .released: attempts > 1 ? .retrying : .queued
        }
    }
}
