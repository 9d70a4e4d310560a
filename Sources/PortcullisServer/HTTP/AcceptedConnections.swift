import NIOCore
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

    /// A handler for the front of a listener's pipeline, where it sees each accepted connection.
    func makeServerChannelHandler() -> some ChannelInboundHandler { Counter(owner: self) }

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

    private final class Counter: ChannelInboundHandler {
        typealias InboundIn = any Channel
        let owner: AcceptedConnections

        init(owner: AcceptedConnections) {
            self.owner = owner
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            owner.inFlight.add(1, ordering: .relaxed)
            context.fireChannelRead(data)
        }
    }
}
