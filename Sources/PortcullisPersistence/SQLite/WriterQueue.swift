/// Lets one write transaction of this process at a time take SQLite's write lock; the others
/// wait here, in order, without a thread. Other processes' writers are SQLite's busy timeout's
/// business, which then has only one waiter per process to poll for.
actor WriterQueue {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// Waits for this process's turn to write.
    func enter() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// Hands the turn to the next writer, if any.
    func leave() {
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().resume()
        }
    }
}
