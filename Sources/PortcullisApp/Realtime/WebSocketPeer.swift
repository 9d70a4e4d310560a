import CoreMetrics
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import PortcullisHTTP
import Synchronization

/// The server's side of one WebSocket connection: a bounded send queue drained by one writer,
/// so a peer that does not read costs at most `ws.send_queue_messages` messages and
/// `ws.send_queue_bytes` bytes (or one message, whatever its size, when the queue is empty),
/// within what the worker's ``SendBudget`` has left, and is closed with 1008 "slow consumer"
/// instead of slowing whoever publishes to it.
final class WebSocketPeer: HubSubscriber, ClosableSession, Sendable {
    /// The queue's messages and bytes, and whether the session ended (what is left was given back).
    private struct Queued {
        var messages = 0
        var bytes = 0
        var ended = false
    }

    private let outbound: WebSocketOutboundWriter
    private let context: WebSocketSessionContext
    private let queue: AsyncStream<HubMessage.Payload>
    private let queueInput: AsyncStream<HubMessage.Payload>.Continuation
    private let closing = Atomic<Bool>(false)
    /// Bytes of the messages queued and not yet written. Queueing, writing and ending change
    /// it under one lock, so what the worker's budget holds for this peer is exact.
    private let queued = Mutex(Queued())
    private let byteLimit: Int
    private let budget: SendBudget

    init(outbound: WebSocketOutboundWriter, context: WebSocketSessionContext, queueLimit: Int, byteLimit: Int, budget: SendBudget) {
        self.outbound = outbound
        self.context = context
        self.byteLimit = byteLimit
        self.budget = budget
        (queue, queueInput) = AsyncStream.makeStream(of: HubMessage.Payload.self, bufferingPolicy: .bufferingOldest(queueLimit))
    }

    var logger: Logger { context.logger }

    func receive(_ message: HubMessage) { send(message.payload) }

    /// Queues a frame for the peer; a full queue, in messages or in bytes, closes the connection.
    func send(_ payload: HubMessage.Payload) {
        guard !closing.load(ordering: .relaxed) else { return }
        let size = payload.byteCount
        let kept = queued.withLock { queued in
            guard !queued.ended else { return true }
            guard queued.bytes == 0 || queued.bytes + size <= byteLimit, budget.reserve(size) else { return false }
            switch queueInput.yield(payload) {
            case .enqueued:
                queued.messages += 1
                queued.bytes += size
                return true
            case .dropped:
                budget.release(size)
                return false
            default:
                budget.release(size)
                return true
            }
        }
        if !kept {
            logger.warning("closing a WebSocket that does not read", metadata: ["reason": "slow consumer"])
            close(.policyViolation, reason: "slow consumer")
        }
    }

    /// Answers the message the session is handling. While nothing is queued and the connection
    /// takes writes without waiting (it is writable: its peer reads), the reading task hands
    /// the frame to the connection itself, which spares a request–response session such as
    /// echo a hand-over to the writer task, a thread switch, per message. Otherwise the frame
    /// joins the queue behind what is there, and a peer that does not read fills it and is
    /// closed as a slow consumer, as with ``send(_:)``.
    func reply(_ payload: HubMessage.Payload) async {
        guard !closing.load(ordering: .relaxed) else { return }
        guard context.channel.isWritable, queued.withLock({ $0.messages == 0 && !$0.ended }) else { return send(payload) }
        do {
            try await write(payload)
            Self.messagesSent.increment()
        } catch {
            // The connection is closing; the reading loop ends with it.
        }
    }

    private func write(_ payload: HubMessage.Payload) async throws {
        switch payload {
        case .text(let text): try await outbound.write(.text(text))
        case .binary(let bytes): try await outbound.write(.binary(bytes))
        }
    }

    /// Frames handed to the connection, for the node's metrics.
    static let messagesSent = CoreMetrics.Counter(label: "portcullis_ws_messages_sent_total")

    /// A queued frame was written (or failed): its bytes go back.
    private func dequeued(_ size: Int) {
        Self.messagesSent.increment()
        queued.withLock { queued in
            guard !queued.ended else { return }
            queued.messages -= 1
            queued.bytes -= size
            budget.release(size)
        }
    }

    /// The queue will be read no more: whatever it still holds goes back to the budget.
    private func endQueue() {
        queueInput.finish()
        queued.withLock { queued in
            guard !queued.ended else { return }
            queued.ended = true
            budget.release(queued.bytes)
            queued.messages = 0
            queued.bytes = 0
        }
    }

    /// Closes the connection with `code` once; frames still queued are dropped. A peer that
    /// does not answer the close frame within ``WebSocketUpgrade/closeHandshakeTimeout`` is disconnected.
    func close(_ code: WebSocketErrorCode, reason: String) {
        guard !closing.exchange(true, ordering: .relaxed) else { return }
        endQueue()
        let channel = context.channel
        channel.eventLoop.scheduleTask(in: TimeAmount(WebSocketUpgrade.closeHandshakeTimeout)) {
            channel.close(promise: nil)
        }
        let outbound = self.outbound
        Task { try? await outbound.close(code, reason: reason) }
    }

    /// Runs the connection: writes queued frames while `handle` reads each message of at most
    /// `maxMessageBytes`. Returns when the peer or the server closed the connection; a message
    /// over the limit throws the library's 1009 close.
    func run(
        inbound: WebSocketInboundStream, maxMessageBytes: Int,
        handle: @Sendable (WebSocketMessage) async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                for await payload in queue {
                    defer { dequeued(payload.byteCount) }
                    guard !closing.load(ordering: .relaxed) else { return }
                    do {
                        try await write(payload)
                    } catch {
                        return
                    }
                }
            }
            defer {
                endQueue()
                group.cancelAll()
            }
            for try await message in inbound.messages(maxSize: maxMessageBytes) {
                try await handle(message)
            }
        }
    }
}
