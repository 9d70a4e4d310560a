import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOSSL
import NIOWebSocket
import PortcullisHTTP
import PortcullisPlatform
import WSClient

/// A gateway route's WebSocket upgrades (`websocket: true`). The upstream's handshake comes
/// first: a WebSocket client opens the same path on the upstream with the route's headers
/// (identity, forwarding, request ID, trace), and only once the upstream accepted does the
/// client get its `101` (within `ws.max_connections`); an upstream that cannot be reached or
/// refuses is a 502, one that does not answer in time a 504. Then frames pass both ways as
/// they come, with `ws.max_message_bytes` per message (a larger one closes its sender with
/// 1009) and no queue of their own: a side that does not read stops the other side's reads.
/// When one side closes, the other is closed; a graceful stop closes both with 1001.
struct WebSocketProxy: Sendable {
    let sessions: WebSocketSessions
    let maxMessageBytes: Int

    /// The headers of a client's handshake that belong to its own connection, not the upstream's.
    static let handshakeFields: [HTTPField.Name] = [
        .secWebSocketKey, .secWebSocketVersion, .secWebSocketExtensions, .secWebSocketProtocol, .secWebSocketAccept,
    ]

    /// The upstream's side of a relay, once its handshake succeeded.
    private struct UpstreamEnds: Sendable {
        let inbound: WebSocketInboundStream
        let outbound: WebSocketOutboundWriter
    }

    /// Opens `url` on the upstream within `timeout`, then accepts `upgrade` and relays it; the
    /// `101` to return. `finished` runs once the upstream connection ended, with whether it
    /// failed to open.
    func relay(
        _ upgrade: WebSocketUpgrade, to url: String, tls: TLSConfiguration?, headers: HTTPFields, timeout: Duration, logger: Logger,
        finished: @escaping @Sendable (_ failed: Bool) -> Void
    ) async throws -> Response {
        guard let seat = sessions.takeSeat() else {
            throw APIError.unavailable("This server holds as many WebSocket connections as it may (ws.max_connections).")
        }
        var forwarded = headers
        for name in Self.handshakeFields { forwarded[name] = nil }
        let configuration = WebSocketClientConfiguration(
            maxFrameSize: maxMessageBytes, additionalHeaders: forwarded, closeTimeout: WebSocketUpgrade.closeHandshakeTimeout)
        let (opened, open) = AsyncStream.makeStream(of: Result<UpstreamEnds, any Error>.self)
        // Finished when the relay ended, or when the client's session never started: the
        // upstream's connection stays open until then.
        let (relayEnded, endRelay) = AsyncStream.makeStream(of: Never.self)
        let connection = Task {
            var failed = false
            do {
                try await WebSocketClient.connect(url: url, configuration: configuration, tlsConfiguration: tls, logger: logger) { inbound, outbound, _ in
                    open.yield(.success(UpstreamEnds(inbound: inbound, outbound: outbound)))
                    for await _ in relayEnded {}
                }
            } catch {
                failed = true
                open.yield(.failure(error))
            }
            open.finish()
            finished(failed)
        }
        switch await Self.first(of: opened, within: timeout) {
        case .success(let upstream)?:
            let release = EndOnRelease(endRelay)
            let limit = maxMessageBytes
            let sessions = sessions
            upgrade.accept(logger: logger) { inbound, outbound, context in
                defer { release.end() }
                withExtendedLifetime(seat) {}
                let relayed = RelayedWebSocket(client: outbound, upstream: upstream.outbound, channel: context.channel)
                try await sessions.whileOpen(relayed) {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { try await Self.pass(inbound, to: upstream.outbound, limit: limit, tooLarge: outbound) }
                        group.addTask { try await Self.pass(upstream.inbound, to: outbound, limit: limit, tooLarge: upstream.outbound) }
                        try await group.next()
                        group.cancelAll()
                    }
                }
            }
            return Response(status: .switchingProtocols)
        case .failure(let error)?:
            logger.warning("WebSocket upstream refused or cannot be reached", metadata: ["upstream": .string(url), "error": .string("\(error)")])
            throw APIError.badGateway("The upstream did not accept the WebSocket handshake.")
        case nil:
            endRelay.finish()
            connection.cancel()
            throw APIError.gatewayTimeout("The upstream did not answer the WebSocket handshake in time.")
        }
    }

    /// The first outcome `opened` gives, or nil after `timeout`.
    private static func first(of opened: AsyncStream<Result<UpstreamEnds, any Error>>, within timeout: Duration) async -> Result<UpstreamEnds, any Error>? {
        await withTaskGroup(of: Result<UpstreamEnds, any Error>?.self) { group in
            group.addTask {
                var iterator = opened.makeAsyncIterator()
                return await iterator.next()
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// Ends the upstream's side when the relay's session ends or, if the client's never
    /// started (its `101` could not be sent), when the session is dropped unrun.
    private final class EndOnRelease: Sendable {
        private let continuation: AsyncStream<Never>.Continuation

        init(_ continuation: AsyncStream<Never>.Continuation) { self.continuation = continuation }

        func end() { continuation.finish() }

        deinit { continuation.finish() }
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
