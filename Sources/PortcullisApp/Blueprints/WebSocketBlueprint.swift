import CoreMetrics
import Foundation
import Hummingbird
import HummingbirdWebSocket
import PortcullisHTTP
import PortcullisPlatform
import Synchronization

/// `/ws/echo`, `/ws/chat`, `/ws/broadcast` and `/ws/pubsub`. Each connection may publish
/// `ws.publish_rate` messages a second: beyond it a pub/sub publish gets an error frame, and
/// a broadcast or chat connection is closed with 1008 "publishing too fast". The handshake runs through the
/// same middleware as any request; it is refused with 403 for an `Origin` not in
/// `cors.origins`, 503 when the process holds `ws.max_connections`, and 426 when the request
/// is not a WebSocket handshake at all. Broadcast, chat and pub/sub go through the ``Hub``, so
/// they reach every worker process and, with PostgreSQL, every node.
enum WebSocketBlueprint {
    /// The hub topic of `/ws/broadcast`.
    static let broadcastTopic = "broadcast"
    /// The hub topic of `/ws/chat`.
    static let chatTopic = "chat"
    /// The hub topic of a `/ws/pubsub` topic.
    static func pubSubTopic(_ name: String) -> String { "pubsub:" + name }

    /// What a session needs besides its connection.
    struct Settings: Sendable {
        let hub: Hub
        let sessions: WebSocketSessions
        let maxMessageBytes: Int
        let queueLimit: Int
        let queueBytes: Int
        /// The worker's budget for all its send queues together.
        let budget: SendBudget
        let maxSubscriptions: Int
        let publishRate: Int
        /// `cors.origins`: who may open a session from a browser.
        let origins: AllowedOrigins
        /// Where a session's handshake request ID stays while the session is open.
        let inFlight: InFlightRequests

        init(config: PortcullisConfig, hub: Hub, sessions: WebSocketSessions, inFlight: InFlightRequests) {
            self.hub = hub
            self.sessions = sessions
            self.inFlight = inFlight
            maxMessageBytes = config.ws.maxMessageBytes
            queueLimit = config.ws.sendQueueMessages
            queueBytes = config.ws.sendQueueBytes
            budget = SendBudget(limit: config.ws.workerQueueBytes)
            maxSubscriptions = config.ws.maxSubscriptions
            publishRate = config.ws.publishRate
            origins = AllowedOrigins(config.cors.origins)
        }
    }

    /// Open sessions and the messages they received, by route, for the node's metrics.
    static let sessionsOpen = MetricFamily<Meter>(labels: ["route"]) { Meter(label: "portcullis_ws_sessions_open", dimensions: $0) }
    static let messagesReceived = MetricFamily.counter("portcullis_ws_messages_received_total", labels: ["route"])

    /// What a session does with each message, once it is open.
    typealias MessageHandler = @Sendable (WebSocketPeer, WebSocketMessage) async throws -> Void

    static func make(services: AppServices, settings: Settings) -> Blueprint {
        var blueprint = Blueprint(name: "websocket", prefix: "ws")
        blueprint.get("echo") { request, context in
            try handshake(request, context, settings) { peer, message in
                switch message {
                case .text(let text): await peer.reply(.text("Echo: " + text))
                case .binary(let bytes): await peer.reply(.binary(bytes))
                }
            }
        }
        blueprint.get("broadcast") { request, context in
            let rate = Mutex(PublishRate(rate: settings.publishRate))
            return try handshake(request, context, settings, topics: [broadcastTopic]) { peer, message in
                guard rate.withLock({ $0.admit() }) else { return peer.close(.policyViolation, reason: tooFast) }
                settings.hub.publish(HubMessage(topic: broadcastTopic, payload: payload(of: message)))
            }
        }
        blueprint.get("chat") { request, context in
            let member = await ChatMember.authenticate(request, services: services)
            guard case .success(let username) = member else {
                return try handshake(request, context, settings, refusal: member.reason) { _, _ in }
            }
            let rate = Mutex(PublishRate(rate: settings.publishRate))
            return try handshake(request, context, settings, topics: [chatTopic]) { peer, message in
                guard case .text(let text) = message else {
                    peer.close(.unacceptableData, reason: "Text messages only")
                    return
                }
                guard rate.withLock({ $0.admit() }) else { return peer.close(.policyViolation, reason: tooFast) }
                let line = JSONValue.object(["user": .string(username), "message": .string(text)]).jsonText
                settings.hub.publish(HubMessage(topic: chatTopic, payload: .text(line)))
            }
        }
        blueprint.get("pubsub") { request, context in
            let subscriptions = Mutex<Set<String>>([])
            let rate = Mutex(PublishRate(rate: settings.publishRate))
            return try handshake(request, context, settings, leaving: { peer in
                for topic in subscriptions.withLock({ $0 }) { settings.hub.unsubscribe(peer, from: pubSubTopic(topic)) }
            }) { peer, message in
                guard case .text(let text) = message else {
                    peer.send(.text(PubSubError("frames must be JSON text").frame))
                    return
                }
                switch PubSubFrame.parse(text) {
                case .failure(let error):
                    peer.send(.text(error.frame))
                case .success(.subscribe(let topic)):
                    let admitted = subscriptions.withLock { topics in
                        guard topics.count < settings.maxSubscriptions || topics.contains(topic) else { return false }
                        topics.insert(topic)
                        return true
                    }
                    guard admitted else {
                        peer.send(.text(PubSubError("too many subscriptions: at most \(settings.maxSubscriptions) topics per connection").frame))
                        return
                    }
                    settings.hub.subscribe(peer, to: pubSubTopic(topic))
                    peer.send(.text(PubSubFrame.acknowledgement("subscribed", topic: topic)))
                case .success(.unsubscribe(let topic)):
                    subscriptions.withLock { _ = $0.remove(topic) }
                    settings.hub.unsubscribe(peer, from: pubSubTopic(topic))
                    peer.send(.text(PubSubFrame.acknowledgement("unsubscribed", topic: topic)))
                case .success(.publish(let topic, let data)):
                    guard rate.withLock({ $0.admit() }) else {
                        peer.send(.text(PubSubError("\(tooFast): at most \(settings.publishRate) messages a second (ws.publish_rate)").frame))
                        return
                    }
                    settings.hub.publish(HubMessage(topic: pubSubTopic(topic), payload: .text(PubSubFrame.message(topic: topic, data: data))))
                }
            }
        }
        return blueprint
    }

    /// Why a connection that publishes faster than `ws.publish_rate` is refused.
    static let tooFast = "publishing too fast"

    static func payload(of message: WebSocketMessage) -> HubMessage.Payload {
        switch message {
        case .text(let text): .text(text)
        case .binary(let bytes): .binary(bytes)
        }
    }

    /// Checks and accepts a handshake. The session subscribes its peer to `topics`, hands each
    /// message to `handle`, and unsubscribes (and runs `leaving`) when the connection ends. With
    /// a `refusal`, the session closes at once with 1008 and that reason.
    static func handshake(
        _ request: Request, _ context: AppRequestContext, _ settings: Settings,
        topics: [String] = [], refusal: String? = nil,
        leaving: @escaping @Sendable (WebSocketPeer) -> Void = { _ in },
        handle: @escaping MessageHandler
    ) throws -> Response {
        guard let upgrade = context.webSocket else {
            throw APIError.upgradeRequired("This route speaks WebSocket: open it with a WebSocket handshake.")
        }
        if let origin = request.headers[.origin], !settings.origins.allows(origin) {
            throw APIError.forbidden("The origin \(origin) may not open WebSockets here (cors.origins).")
        }
        guard let seat = settings.sessions.takeSeat() else {
            throw APIError.unavailable("This server holds as many WebSocket connections as it may (ws.max_connections).")
        }
        let requestID = context.requestID
        let route = context.endpointPath ?? "unmatched"
        upgrade.accept(logger: context.logger) { inbound, outbound, sessionContext in
            let ticket = settings.inFlight.enter(requestID)
            defer { settings.inFlight.leave(ticket) }
            if let refusal {
                try await outbound.close(.policyViolation, reason: refusal)
                return
            }
            let peer = WebSocketPeer(outbound: outbound, context: sessionContext, queueLimit: settings.queueLimit, byteLimit: settings.queueBytes, budget: settings.budget)
            try await settings.sessions.whileOpen(peer) {
                withExtendedLifetime(seat) {}
                for topic in topics { settings.hub.subscribe(peer, to: topic) }
                defer {
                    for topic in topics { settings.hub.unsubscribe(peer, from: topic) }
                    leaving(peer)
                }
                let open = sessionsOpen[route]
                open.increment()
                defer { open.decrement() }
                let received = messagesReceived[route]
                try await peer.run(inbound: inbound, maxMessageBytes: settings.maxMessageBytes) { message in
                    received.increment()
                    try await handle(peer, message)
                }
            }
        }
        return Response(status: .switchingProtocols)
    }
}
