import CoreMetrics
import NIOCore
import NIOWebSocket
import PortcullisPlatform

/// Counts how each WebSocket connection ended, in `portcullis_ws_closes_total{code,by}`: the
/// code of the first close frame on the connection and who sent it (`server` or `client`), or
/// 1006 by `none` when the connection ended without one (RFC 6455 §7.1.5). It sits right after
/// the frame decoder, so it sees the closes NIO's protocol error handler sends (1002, 1009)
/// as well as the app's and the WebSocket library's.
final class WebSocketCloseObserver: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    static let closes = MetricFamily.counter("portcullis_ws_closes_total", labels: ["code", "by"])

    private var first: (code: Int, by: String)?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        note(unwrapInboundIn(data), by: "client")
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        note(unwrapOutboundIn(data), by: "server")
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let (code, by) = first ?? (1006, "none")
        Self.closes[String(code), by].increment()
        context.fireChannelInactive()
    }

    private func note(_ frame: WebSocketFrame, by: String) {
        guard first == nil, frame.opcode == .connectionClose else { return }
        var data = frame.unmaskedData
        first = (data.readInteger(as: UInt16.self).map(Int.init) ?? 1005, by)
    }
}
