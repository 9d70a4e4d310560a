import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import TestSupport
import Testing

/// TLS on a real loopback socket, with a CA made in the test.
@Suite struct TLSTests {
    struct Files {
        let directory: TemporaryDirectory
        let ca: NIOSSLCertificate
        let overrides: [String: String]
    }

    func files() throws -> Files {
        let directory = try TemporaryDirectory()
        let chain = try TestCertificates.makeChain()
        let cert = try directory.write("server.pem", chain.leaf.certificatePEM)
        let key = try directory.write("server.key", chain.leaf.keyPEM)
        return Files(
            directory: directory,
            ca: try NIOSSLCertificate(bytes: Array(chain.caPEM.utf8), format: .pem),
            overrides: ["tls.cert_file": cert, "tls.key_file": key]
        )
    }

    func client(trusting ca: NIOSSLCertificate) -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates([ca])
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.httpVersion = .automatic
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    @Test func theHandshakeCompletesALPNGivesH2AndHSTSIsSent() async throws {
        let files = try files()
        defer { files.directory.remove() }
        try await withLiveServer(overrides: files.overrides, tls: true) { server in
            let http = client(trusting: files.ca)
            defer { _ = http.shutdown() }
            let response = try await http.execute(HTTPClientRequest(url: "https://localhost:\(server.port)/healthz"), timeout: .seconds(10))
            #expect(response.status == .ok)
            #expect(response.version == .http2)
            #expect(response.headers.first(name: "Strict-Transport-Security") == "max-age=63072000; includeSubDomains")
            #expect(String(buffer: try await response.body.collect(upTo: 1024)) == #"{"status":"ok"}"#)
        }
    }

    /// Reports the outcome of a TLS handshake with the given client limits, and the ALPN protocol.
    final class HandshakeProbe: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        let outcome: EventLoopPromise<String?>
        init(outcome: EventLoopPromise<String?>) { self.outcome = outcome }
        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case .handshakeCompleted(let negotiated) = event as? TLSUserEvent { outcome.succeed(negotiated) }
            context.fireUserInboundEventTriggered(event)
        }
        func errorCaught(context: ChannelHandlerContext, error: any Error) { outcome.fail(error) }
        func channelInactive(context: ChannelHandlerContext) { outcome.fail(ChannelError.ioOnClosedChannel) }
    }

    func handshake(port: Int, ca: NIOSSLCertificate, minimum: TLSVersion = .tlsv1, maximum: TLSVersion) async throws -> String? {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates([ca])
        tls.minimumTLSVersion = minimum
        tls.maximumTLSVersion = maximum
        tls.applicationProtocols = ["h2", "http/1.1"]
        let context = try NIOSSLContext(configuration: tls)
        let group = MultiThreadedEventLoopGroup.singleton
        let outcome = group.next().makePromise(of: String?.self)
        let channel = try await ClientBootstrap(group: group).channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                try channel.pipeline.syncOperations.addHandler(HandshakeProbe(outcome: outcome))
            }
        }.connect(host: "127.0.0.1", port: port).get()
        defer { channel.close(promise: nil) }
        return try await outcome.futureResult.get()
    }

    @Test func tls11IsRefusedAndTLS12NegotiatesH2() async throws {
        let files = try files()
        defer { files.directory.remove() }
        try await withLiveServer(overrides: files.overrides, tls: true) { server in
            await #expect(throws: NIOSSLError.self) {
                _ = try await handshake(port: server.port, ca: files.ca, maximum: .tlsv11)
            }
            let negotiated = try await handshake(port: server.port, ca: files.ca, maximum: .tlsv12)
            #expect(negotiated == "h2")
        }
    }

    @Test func minVersion13RefusesTLS12() async throws {
        let files = try files()
        defer { files.directory.remove() }
        try await withLiveServer(overrides: files.overrides.merging(["tls.min_version": "1.3"]) { $1 }, tls: true) { server in
            await #expect(throws: NIOSSLError.self) {
                _ = try await handshake(port: server.port, ca: files.ca, maximum: .tlsv12)
            }
            let modern = client(trusting: files.ca)
            defer { _ = modern.shutdown() }
            let response = try await modern.execute(HTTPClientRequest(url: "https://localhost:\(server.port)/healthz"), timeout: .seconds(10))
            #expect(response.status == .ok)
        }
    }
}
