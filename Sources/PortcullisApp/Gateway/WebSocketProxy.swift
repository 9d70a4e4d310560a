import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import PortcullisHTTP
import PortcullisPlatform
import Synchronization
import WSClient

/// A gateway route's WebSocket upgrades (`websocket: true`): the client's handshake is
/// accepted (within `ws.max_connections`), a WebSocket client opens the same path on the
/// upstream with the route's headers (identity, forwarding, request ID, trace), and frames
/// pass both ways as they come, with `ws.max_message_bytes` per message (a larger one closes
/// its sender with 1009) and no queue of their own: a side that does not read stops the other
/// side's reads. When one side closes,
/// the other is closed; an upstream that cannot be reached closes the client with 1014.
struct WebSocketProxy: Sendable {
    let sessions: WebSocketSessions
    let maxMessageBytes: Int

    /// The headers of a client's handshake that belong to its own connection, not the upstream's.
    static let handshakeFields: [HTTPField.Name] = [
        .secWebSocketKey, .secWebSocketVersion, .secWebSocketExtensions, .secWebSocketProtocol, .secWebSocketAccept,
    ]

    /// Accepts `upgrade` and relays it to `url`; the 101 to return.
    func relay(_ upgrade: WebSocketUpgrade, to url: String, headers: HTTPFields, logger: Logger, finished: @escaping @Sendable () -> Void) throws -> Response {
        guard let seat = sessions.takeSeat() else {
            throw APIError.unavailable("This server holds as many WebSocket connections as it may (ws.max_connections).")
        }
        var forwarded = headers
        for name in Self.handshakeFields { forwarded[name] = nil }
        let configuration = WebSocketClientConfiguration(
            maxFrameSize: maxMessageBytes, additionalHeaders: forwarded, closeTimeout: WebSocketUpgrade.closeHandshakeTimeout)
        let limit = maxMessageBytes
        upgrade.accept(logger: logger) { inbound, outbound, _ in
            defer { finished() }
            withExtendedLifetime(seat) {}
            let connected = Atomic(false)
            do {
                try await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) { upstreamInbound, upstreamOutbound, _ in
                    connected.store(true, ordering: .relaxed)
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { try await Self.pass(inbound, to: upstreamOutbound, limit: limit, tooLarge: outbound) }
                        group.addTask { try await Self.pass(upstreamInbound, to: outbound, limit: limit, tooLarge: upstreamOutbound) }
                        try await group.next()
                        group.cancelAll()
                    }
                }
            } catch where !connected.load(ordering: .relaxed) {
                logger.warning("WebSocket upstream cannot be reached", metadata: ["upstream": .string(url), "error": .string("\(error)")])
                try await outbound.close(.unknown(1014), reason: "Bad Gateway")
            }
        }
        return Response(status: .switchingProtocols)
    }

    /// Passes frames from `inbound` to `outbound` as they come, fragments as fragments, so a
    /// message is never held whole; a message over `limit` bytes closes `tooLarge` (the side
    /// that sent it) with 1009 and ends the relay.
    static func pass(_ inbound: WebSocketInboundStream, to outbound: WebSocketOutboundWriter, limit: Int, tooLarge: WebSocketOutboundWriter) async throws {
        var messageBytes = 0
        for try await frame in inbound {
            messageBytes = (frame.opcode == .continuation ? messageBytes : 0) + frame.data.readableBytes
            guard messageBytes <= limit else {
                try await tooLarge.close(.messageTooLarge, reason: "Message too large")
                return
            }
            let opcode: WebSocketOpcode = switch frame.opcode {
            case .text: .text
            case .binary: .binary
            case .continuation: .continuation
            }
            try await outbound.write(.custom(WebSocketFrame(fin: frame.fin, opcode: opcode, data: frame.data)))
        }
    }
}
