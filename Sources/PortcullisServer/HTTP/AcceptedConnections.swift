import Synchronization

/// Counts the connections this process has accepted but not yet handed to its accept loop.
///
/// Accepting a connection commits this process to serving it: the kernel gives it to no
/// other worker. SwiftNIO sets a connection up on its own event loop after `accept()`, and
/// drops it without a word if the listener closes in between, leaving the client to time
/// out. So a graceful stop first stops accepting, waits for this count to reach zero, and
/// only then closes the listeners.
final class AcceptedConnections: Sendable {
    private let inFlight = Atomic<Int>(0)

    /// A listener accepted a connection (``AcceptObserver``).
    func accepted() {
        inFlight.add(1, ordering: .relaxed)
    }

    /// A connection reached the accept loop.
    func handedOver() {
        inFlight.subtract(1, ordering: .relaxed)
    }

    /// Waits until every accepted connection reached the accept loop, or `limit` passed (a
    /// connection whose setup failed is never handed over).
    func waitUntilHandedOver(limit: Duration) async {
        let deadline = ContinuousClock.now + limit
        while inFlight.load(ordering: .relaxed) > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(2))
        }
    }
}
