import HummingbirdWebSocket
import NIOCore
import NIOWebSocket
import PortcullisHTTP

/// A relayed WebSocket as its process sees it: closing it (on a graceful stop) sends the close
/// to both the client and the upstream, and cuts the client's connection if its close
/// handshake does not finish in time.
final class RelayedWebSocket: ClosableSession {
    private let client: WebSocketOutboundWriter
    private let upstream: WebSocketOutboundWriter
    private let channel: any Channel

    init(client: WebSocketOutboundWriter, upstream: WebSocketOutboundWriter, channel: any Channel) {
        self.client = client
        self.upstream = upstream
        self.channel = channel
    }

    func close(_ code: WebSocketErrorCode, reason: String) {
        let channel = channel
        channel.eventLoop.scheduleTask(in: TimeAmount(WebSocketUpgrade.closeHandshakeTimeout)) { channel.close(promise: nil) }
        let (client, upstream) = (client, upstream)
        Task {
            try? await upstream.close(code, reason: reason)
            try? await client.close(code, reason: reason)
        }
    }
}
