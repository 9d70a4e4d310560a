public import NIOCore
import NIOPosix
public import NIOSSL
import Synchronization

/// A TLS connection to a loopback server that sends and reads raw bytes, for what a client
/// library would not send: a WebSocket handshake and frames over TLS, malformed requests,
/// an HTTP/2 preface and then silence.
public struct TLSConnection: Sendable {
    /// Everything the server sent, and whether it closed.
    final class Received: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let state = Mutex<(bytes: [UInt8], closed: Bool)>(([], false))

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            state.withLock { $0.bytes += buffer.readableBytesView }
        }

        func channelInactive(context: ChannelHandlerContext) {
            state.withLock { $0.closed = true }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }

    public let channel: any Channel
    let received: Received

    public static func open(port: Int, trusting ca: NIOSSLCertificate, alpn: [String]) async throws -> TLSConnection {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates([ca])
        tls.applicationProtocols = alpn
        let context = try NIOSSLContext(configuration: tls)
        let received = Received()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                    try channel.pipeline.syncOperations.addHandler(received)
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return TLSConnection(channel: channel, received: received)
    }

    /// Closes the connection.
    public func close() async {
        try? await channel.close()
    }

    /// Sends `bytes`, then waits until `done` says what was read so far is enough, the server
    /// closes, or `timeout` passes. Returns what was read and whether the server closed.
    public func exchange(
        _ bytes: [UInt8], timeout: Duration = .seconds(10), until done: ([UInt8]) -> Bool = { _ in false }
    ) async throws -> (bytes: [UInt8], closed: Bool) {
        if !bytes.isEmpty { try await channel.writeAndFlush(ByteBuffer(bytes: bytes)) }
        let deadline = ContinuousClock.now + timeout
        while true {
            let state = received.state.withLock { $0 }
            if state.closed || done(state.bytes) || ContinuousClock.now >= deadline { return state }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
