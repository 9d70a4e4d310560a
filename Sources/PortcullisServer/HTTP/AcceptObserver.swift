import NIOCore

/// Sits at the front of a listener's pipeline and tells `observe` of each connection the
/// listener accepts, before the connection is set up on its own event loop.
final class AcceptObserver: ChannelInboundHandler {
    typealias InboundIn = any Channel
    typealias Observe = @Sendable (_ connection: any Channel, _ listener: any Channel) -> Void

    private let observe: Observe

    init(_ observe: @escaping Observe) {
        self.observe = observe
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        observe(unwrapInboundIn(data), context.channel)
        context.fireChannelRead(data)
    }
}
