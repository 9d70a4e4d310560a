import Synchronization

/// Wakes one waiting task: fired by whatever may have made work available (a local enqueue,
/// a notification, a finished job). A fire with nobody waiting is kept for the next wait, so
/// none is lost; several fires before the wait count as one.
public final class Wakeup: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    public func fire() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns when fired, after `timeout`, or at once when the task is cancelled. A timeout that races a fire may leave one
    /// spurious wake-up for the next wait, which costs a look for work and nothing else.
    public func wait(upTo timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await Task.sleep(for: timeout)
                    self.fire()
                } catch {}
            }
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let resumeNow = state.withLock { state -> Bool in
                        if state.pending {
                            state.pending = false
                            return true
                        }
                        state.waiter = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                self.fire()
            }
            group.cancelAll()
        }
    }
}
