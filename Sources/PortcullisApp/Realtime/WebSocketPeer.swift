import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import PortcullisPlatform
import Synchronization

/// The server's side of one WebSocket connection: a bounded send queue drained by one writer,
/// so a peer that does not read costs at most `ws.send_queue_messages` messages and
/// `ws.send_queue_bytes` bytes (or one message, whatever its size, when the queue is empty),
/// and is closed with 1008 "slow consumer" instead of slowing whoever publishes to it.
final class WebSocketPeer: HubSubscriber, Sendable {
    private let outbound: WebSocketOutboundWriter
    private let context: WebSocketSessionContext
    private let queue: AsyncStream<HubMessage.Payload>
    private let queueInput: AsyncStream<HubMessage.Payload>.Continuation
    private let closing = Atomic<Bool>(false)
    /// Bytes of the messages queued and not yet written.
    private let queuedBytes = Atomic<Int>(0)
    private let byteLimit: Int

    init(outbound: WebSocketOutboundWriter, context: WebSocketSessionContext, queueLimit: Int, byteLimit: Int) {
        self.outbound = outbound
        self.context = context
        self.byteLimit = byteLimit
        (queue, queueInput) = AsyncStream.makeStream(of: HubMessage.Payload.self, bufferingPolicy: .bufferingOldest(queueLimit))
    }

    var logger: Logger { context.logger }

    func receive(_ message: HubMessage) { send(message.payload) }

    /// Queues a frame for the peer; a full queue, in messages or in bytes, closes the connection.
    func send(_ payload: HubMessage.Payload) {
        guard !closing.load(ordering: .relaxed) else { return }
        let size = payload.byteCount
        let before = queuedBytes.add(size, ordering: .relaxed).oldValue
        let outcome: AsyncStream<HubMessage.Payload>.Continuation.YieldResult? =
            before == 0 || before + size <= byteLimit ? queueInput.yield(payload) : nil
        switch outcome {
        case .enqueued:
            return
        case .terminated:
            queuedBytes.subtract(size, ordering: .relaxed)
        case .dropped, nil:
            queuedBytes.subtract(size, ordering: .relaxed)
            logger.warning("closing a WebSocket that does not read", metadata: ["reason": "slow consumer"])
            close(.policyViolation, reason: "slow consumer")
        @unknown default:
            queuedBytes.subtract(size, ordering: .relaxed)
        }
    }

    /// Closes the connection with `code` once; frames still queued are dropped. A peer that
    /// does not answer the close frame within ``WebSocketUpgrade/closeHandshakeTimeout`` is disconnected.
    func close(_ code: WebSocketErrorCode, reason: String) {
        guard !closing.exchange(true, ordering: .relaxed) else { return }
        queueInput.finish()
        let channel = context.channel
        channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(WebSocketUpgrade.closeHandshakeTimeout.seconds * 1e9))) {
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
                    guard !closing.load(ordering: .relaxed) else { return }
                    defer { queuedBytes.subtract(payload.byteCount, ordering: .relaxed) }
                    do {
                        switch payload {
                        case .text(let text): try await outbound.write(.text(text))
                        case .binary(let bytes): try await outbound.write(.binary(bytes))
                        }
                    } catch {
                        return
                    }
                }
            }
            defer {
                queueInput.finish()
                group.cancelAll()
            }
            for try await message in inbound.messages(maxSize: maxMessageBytes) {
                try await handle(message)
            }
        }
    }
}
