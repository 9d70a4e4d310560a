import NIOCore

/// Ends a connection after its last response the way RFC 9112 §9.6 asks, so that the client
/// reads that response: the response is flushed and the write side shut (FIN), the rest of the
/// request is read and thrown away by the HTTP loop until the client closes, and the connection
/// is cut at ``limit`` if the client is still sending by then.
///
/// Closing at once with unread request bytes in the kernel's buffer makes the kernel answer with
/// a reset, which can destroy the response before the client reads it: a client whose refused
/// body (413) was already on the wire would see "connection reset" instead of the error.
enum LingeringClose {
    /// How long a connection that closes may go on receiving what the client still sends.
    static let limit = TimeAmount.seconds(5)

    /// Shuts the write side once the response is flushed, and cuts the connection at ``limit``.
    static func begin(_ channel: any Channel) async {
        let cut = channel.eventLoop.scheduleTask(in: limit) { channel.close(promise: nil) }
        channel.closeFuture.whenComplete { _ in cut.cancel() }
        try? await channel.close(mode: .output)
    }
}
