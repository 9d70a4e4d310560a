import NIOCore
import NIOWebSocket

/// RFC 6455 §5.1: a server must close the connection when a client sends a frame that is not
/// masked. SwiftNIO's decoder reads such frames like any other, so this handler, right after
/// it, answers the first one with close 1002 and closes; nothing after it sees the frame.
final class MaskedFramesOnly: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private var refused = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        guard unwrapInboundIn(data).maskKey == nil else {
            context.fireChannelRead(data)
            return
        }
        refused = true
        var reason = context.channel.allocator.buffer(capacity: 16)
        reason.write(webSocketErrorCode: .protocolError)
        reason.writeString("unmasked frame")
        let close = WebSocketFrame(fin: true, opcode: .connectionClose, data: reason)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(close)).whenComplete { _ in channel.close(promise: nil) }
    }
}
