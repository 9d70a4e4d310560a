import NIOCore
import NIOTLS

/// `tls.handshake_timeout`: closes a connection whose TLS handshake has not completed in time,
/// so a client that opens a TLS connection and says nothing (or trickles its ClientHello) does
/// not hold it. Sits right after the TLS handler and removes itself once the handshake is done;
/// from then on the header timeout counts.
final class TLSHandshakeDeadline: ConnectionDeadline {
    override func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        context.fireUserInboundEventTriggered(event)
        if case .handshakeCompleted = event as? TLSUserEvent {
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }
}
