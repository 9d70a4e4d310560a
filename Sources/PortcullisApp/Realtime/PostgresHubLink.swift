import Foundation
import Logging
import PortcullisPersistence
import PortcullisPlatform
import ServiceLifecycle
import Synchronization

/// The hub's link to the other nodes on the same PostgreSQL database: what is published here
/// goes out as a `NOTIFY portcullis_hub`, and every worker of every node `LISTEN`s. A payload
/// is `<node> i <base64 message>`; a message too large for NOTIFY's 8000 bytes is stored in
/// `hub_messages` and the payload is `<node> r <row id>`. A worker ignores its own node's
/// messages, which the master relayed already. One sender per process, one transaction per
/// message, and the listener reads in commit order: a publisher's order holds across nodes.
final class PostgresHubLink: HubLink, Service, ByteBoundedQueue {
    static let channel = "portcullis_hub"
    /// The largest payload sent inline; NOTIFY refuses 8000 bytes and more.
    static let inlineLimit = 7900
    /// How long a stored message is kept for the other nodes to read.
    static let retention: TimeInterval = 60

    private let store: any Store
    private let hub: Hub
    private let node: String
    private let logger: Logger
    private let outgoing: AsyncStream<HubMessage>
    private let outgoingInput: AsyncStream<HubMessage>.Continuation
    /// Bytes of the messages waiting for the database, and their bound.
    private let waiting = Atomic<Int>(0)
    private let byteLimit: Int
    private let drops: DropReport

    /// - Parameters:
    ///   - node: this node's ID, the same in all its workers.
    ///   - byteLimit: `ws.relay_queue_bytes`, the bytes of messages that may wait for the
    ///     database; beyond it new ones are dropped.
    init(store: any Store, hub: Hub, node: String, logger: Logger, byteLimit: Int) {
        self.store = store
        self.hub = hub
        self.node = node
        self.logger = logger
        self.byteLimit = byteLimit
        drops = DropReport(logger: logger, queue: "hub messages for other nodes", key: "ws.relay_queue_bytes", link: "postgresql")
        (outgoing, outgoingInput) = AsyncStream.makeStream(of: HubMessage.self)
        QueueBytes.watch(self, key: "ws.relay_queue_bytes", link: "postgresql", limit: byteLimit)
    }

    var queuedBytes: Int { waiting.load(ordering: .relaxed) }

    func forward(_ message: HubMessage) {
        let size = Self.cost(of: message)
        guard waiting.add(size, ordering: .relaxed).newValue <= byteLimit else {
            waiting.subtract(size, ordering: .relaxed)
            drops.dropped()
            return
        }
        if case .enqueued = outgoingInput.yield(message) {
            drops.delivered()
        } else {
            waiting.subtract(size, ordering: .relaxed)
        }
    }

    /// What a queued message holds of memory, near enough: its topic and payload.
    private static func cost(of message: HubMessage) -> Int { message.topic.utf8.count + message.payload.byteCount }

    func run() async throws {
        guard let notifications = store.notifications(on: Self.channel) else { return }
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.send() }
                group.addTask { await self.receive(notifications) }
            }
        }
    }

    private func send() async {
        var stored = 0
        for await message in outgoing {
            defer { waiting.subtract(Self.cost(of: message), ordering: .relaxed) }
            let body = Data(message.encoded).base64EncodedString()
            let prune = stored % 100 == 0
            do {
                let wasStored = try await store.transaction(.write) { [node] session in
                    if body.utf8.count + node.utf8.count + 3 <= Self.inlineLimit {
                        try await session.query("SELECT pg_notify(\(Self.channel), \(node + " i " + body))")
                        return false
                    }
                    guard let row = try await session.first("INSERT INTO hub_messages (body) VALUES (\(body)) RETURNING id") else { return false }
                    try await session.query("SELECT pg_notify(\(Self.channel), \(node + " r " + String(try row.int("id"))))")
                    if prune {
                        try await session.query("DELETE FROM hub_messages WHERE created_at < \(.date(Date() - Self.retention))")
                    }
                    return true
                }
                if wasStored { stored += 1 }
            } catch {
                logger.warning("a hub message could not reach the other nodes", metadata: ["error": .string("\(error)")])
            }
        }
    }

    private func receive(_ notifications: AsyncStream<StoreNotification>) async {
        for await notification in notifications {
            guard case .message(let payload) = notification else { continue }
            let parts = payload.split(separator: " ", maxSplits: 2)
            guard parts.count == 3, parts[0] != node else { continue }
            var body = String(parts[2])
            if parts[1] == "r" {
                guard let id = Int64(body) else { continue }
                do {
                    guard let row = try await store.transaction(.readOnly, { session in
                        try await session.first("SELECT body FROM hub_messages WHERE id = \(id)")
                    }) else { continue }
                    body = try row.string("body")
                } catch {
                    logger.warning("a hub message from another node could not be read", metadata: ["error": .string("\(error)")])
                    continue
                }
            }
            guard let bytes = Data(base64Encoded: body), let message = HubMessage(encoded: Array(bytes)) else { continue }
            hub.deliver(message)
        }
    }
}
