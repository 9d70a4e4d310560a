import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
import NIOSSL
import Logging
import NIOCore
import NIOExtras
import NIOPosix
import PortcullisApp
import PortcullisHTTP
import PortcullisPlatform
import ServiceLifecycle
import Synchronization

/// Serves a ``PortcullisApplication`` over HTTP/1.1 (and HTTP/2 on TLS listeners) on one or more listeners, built on
/// SwiftNIO's `ServerBootstrap` and Hummingbird's HTTP/1 channel so a listener can be a socket
/// this process binds or one it inherits.
///
/// On graceful shutdown it drains in the order operators rely on: `/readyz` turns 503, after
/// `server.drain_delay` the listeners close, in-flight requests finish and keep-alive
/// connections close after their response; whatever remains at `server.graceful_timeout` is cut.
public final class HTTPServer: Service {
    /// A bound listener, with its accept loop to run.
    struct Bound: Sendable {
        let channel: any Channel
        let accept: @Sendable (Logger) async -> Void
    }

    let app: PortcullisApplication
    let listeners: [Listener]
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    let onListening: @Sendable ([SocketAddress]) async -> Void
    let requestLimit: RequestLimit?
    let load: LoadCounter
    private let date = HTTPDate()
    private let accepted = AcceptedConnections()
    private let connections: AcceptGate

    /// - Parameters:
    ///   - load: counts the responses and connections this server serves.
    ///   - shares: the node's connection shares and this worker's slot in them, when a master
    ///     runs several workers and `server.balance_accepts` is on.
    ///   - onListening: called once every listener is bound, with the bound addresses.
    public init(
        app: PortcullisApplication,
        listeners: [Listener],
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        requestLimit: RequestLimit? = nil,
        load: LoadCounter = LoadCounter(),
        shares: (shares: ConnectionShares, slot: Int)? = nil,
        onListening: @escaping @Sendable ([SocketAddress]) async -> Void = { _ in }
    ) {
        self.requestLimit = requestLimit
        self.load = load
        let balance = app.config.server.balanceAccepts ? shares.map { AcceptGate.Balance(shares: $0.shares, slot: $0.slot) } : nil
        self.connections = AcceptGate(limit: app.config.server.maxConnections, load: load, balance: balance)
        self.app = app
        self.listeners = listeners
        self.eventLoopGroup = eventLoopGroup
        self.logger = app.loggers.logger("portcullis.server")
        self.onListening = onListening
    }

    public func run() async throws {
        // One quiescing helper per listener: each tracks the connections of one server channel.
        let quiescing = listeners.map { _ in ServerQuiescingHelper(group: eventLoopGroup) }
        let channels = try await bindAll(quiescing: quiescing)
        let addresses = channels.compactMap { $0.channel.localAddress }
        for address in addresses { logger.info("listening", metadata: ["address": .string(Self.describe(address))]) }
        await onListening(addresses)

        await withTaskGroup(of: Void.self) { group in
            for channel in channels {
                group.addTask { await channel.accept(self.logger) }
            }
            group.addTask { await self.connections.watchShares() }
            do {
                try await gracefulShutdown()
            } catch {
                logger.notice("stopping immediately; cutting open connections")
                group.cancelAll()
                return
            }
            if await !drain(channels: channels.map(\.channel), quiescing: quiescing) { group.cancelAll() }
            await group.waitForAll()
        }
        logger.info("stopped serving")
    }

    /// The stop sequence; returns false when `graceful_timeout` ran out before every connection closed.
    private func drain(channels: [any Channel], quiescing: [ServerQuiescingHelper]) async -> Bool {
        app.readiness.beginDraining()
        logger.info("draining", metadata: ["drain_delay_s": .stringConvertible(app.config.server.drainDelay.seconds)])
        try? await Task.sleep(for: app.config.server.drainDelay)
        // Stop accepting, let what was accepted reach the accept loop, only then close the listeners.
        connections.stopAccepting()
        for channel in channels { try? await channel.setOption(.autoRead, value: false).get() }
        await accepted.waitUntilHandedOver(limit: .seconds(1))
        let eventLoop = eventLoopGroup.any()
        let closed = quiescing.map { helper in
            let promise = eventLoop.makePromise(of: Void.self)
            helper.initiateShutdown(promise: promise)
            return promise.futureResult
        }
        logger.info("listeners closed; finishing open connections")
        app.webSockets.closeAll()
        let allClosed = EventLoopFuture.andAllComplete(closed, on: eventLoop)
        let drained = await Self.wait(for: allClosed, timeout: app.config.server.gracefulTimeout, on: eventLoop)
        if !drained {
            logger.warning("graceful timeout reached; closing the connections still open", metadata: [
                "graceful_timeout_s": .stringConvertible(app.config.server.gracefulTimeout.seconds),
            ])
        }
        return drained
    }

    private static func wait(for future: EventLoopFuture<Void>, timeout: Duration, on eventLoop: any EventLoop) async -> Bool {
        await withCheckedContinuation { continuation in
            let resumed = Mutex(false)
            let finish: @Sendable (Bool) -> Void = { outcome in
                let first = resumed.withLock { done in
                    defer { done = true }
                    return !done
                }
                if first { continuation.resume(returning: outcome) }
            }
            future.whenComplete { _ in finish(true) }
            eventLoop.scheduleTask(in: TimeAmount(timeout)) { finish(false) }
        }
    }

    private static func acceptConnections<Child: ServerChildChannel>(
        on channel: NIOAsyncChannel<Child.Value, Never>,
        childChannel: Child,
        accepted: AcceptedConnections,
        logger: Logger
    ) async {
        do {
            try await channel.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in inbound {
                        accepted.handedOver()
                        group.addTask { await childChannel.handle(value: connection, logger: logger) }
                    }
                }
            }
        } catch {
            logger.error("accepting connections failed", metadata: ["error": .string("\(error)")])
        }
    }

    /// Each HTTP/2 stream's configuration: the header and body deadlines, and the idle timeout.
    private var streamConfiguration: HTTP1Channel.Configuration {
        let server = app.config.server
        let handlerLogger = logger
        return HTTP1Channel.Configuration(
            additionalChannelHandlers: [RequestHeadTimeoutHandler(timeout: server.headerTimeout, bodyTimeout: server.bodyTimeout, logger: handlerLogger)],
            idleTimeout: TimeAmount(server.idleTimeout)
        )
    }

    /// Answers one request: builds its context, runs the app, writes the response.
    private func makeResponder(tls: Bool) -> HTTPChannelHandler.Responder {
        let responder = app.responder
        let appLogger = app.logger
        let date = self.date
        let requestLimit = self.requestLimit
        let load = self.load
        return { request, writer, channel in
            let context = AppRequestContext(channel: channel, logger: appLogger, viaTLS: tls)
            var response: Response
            do {
                response = try await responder.respond(to: request, context: context)
            } catch {
                response = ErrorBody.unroutedResponse(APIError.from(error))
            }
            response.headers.set(.date, date.now())
            let served = load.responded()
            if requestLimit?.isLast(served) == true { response.headers.closeConnection() }
            try await writer.write(response: response.head, body: response.body)
            if response.headers.closesConnection { await LingeringClose.begin(channel) }
        }
    }

    private func bindAll(quiescing: [ServerQuiescingHelper]) async throws -> [Bound] {
        var bound: [Bound] = []
        do {
            for (listener, helper) in zip(listeners, quiescing) {
                if listener.tls {
                    let channel = try SecureChannel(
                        tls: try TLSSettings.serverConfiguration(app.config.tls),
                        handshakeTimeout: app.config.tls.handshakeTimeout,
                        goAwayTimeout: app.config.server.gracefulTimeout,
                        http1: WebSocketUpgradeChannel(app: app, responder: makeResponder(tls: true), secure: true),
                        http2: HTTP2Channel(
                            responder: makeResponder(tls: true),
                            configuration: .init(
                                idleTimeout: app.config.server.idleTimeout,
                                gracefulCloseTimeout: app.config.server.gracefulTimeout,
                                streamConfiguration: streamConfiguration
                            )
                        )
                    )
                    bound.append(try await bind(listener, childChannel: channel, quiescing: helper))
                } else {
                    let channel = WebSocketUpgradeChannel(app: app, responder: makeResponder(tls: false), secure: false)
                    bound.append(try await bind(listener, childChannel: channel, quiescing: helper))
                }
            }
        } catch {
            for channel in bound { try? await channel.channel.close() }
            throw error
        }
        return bound
    }

    private func bind<Child: ServerChildChannel>(_ listener: Listener, childChannel: Child, quiescing: ServerQuiescingHelper) async throws -> Bound {
        let logger = self.logger
        let accepted = self.accepted
        let connections = self.connections
        let bootstrap = ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptObserver { connection, listener in
                        accepted.accepted()
                        connections.opened(connection, on: listener)
                    })
                    try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                }
            }
        let setup: @Sendable (any Channel) -> EventLoopFuture<Child.Value> = { channel in childChannel.setup(channel: channel, logger: logger) }
        let serverChannel: NIOAsyncChannel<Child.Value, Never>
        do {
            switch listener.source {
            case .bind(.tcp(let host, let port)):
                serverChannel = try await bootstrap.bind(host: host, port: port, serverBackPressureStrategy: Self.neverPause, childChannelInitializer: setup)
            case .inherited(let fd, _):
                serverChannel = try await bootstrap.bind(fd, serverBackPressureStrategy: Self.neverPause, childChannelInitializer: setup)
            case .bind(.unix(let path)):
                serverChannel = try await bootstrap.bind(
                    unixDomainSocketPath: path, cleanupExistingSocketFile: true, serverBackPressureStrategy: Self.neverPause, childChannelInitializer: setup)
                chmod(path, 0o660)
            }
        } catch {
            throw ListenError(listener: listener, underlying: error)
        }
        return Bound(channel: serverChannel.channel) { logger in
            await Self.acceptConnections(on: serverChannel, childChannel: childChannel, accepted: accepted, logger: logger)
        }
    }

    /// Accepted connections wait for the accept loop without pausing the listener (the marks are
    /// far above the 1024 backlog): a paused listener reads again when the loop catches up,
    /// even after a stop turned `autoRead` off.
    private static let neverPause = NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark(lowWatermark: 4096, highWatermark: 65536)

    static func describe(_ address: SocketAddress) -> String {
        switch address {
        case .unixDomainSocket: "unix:\(address.pathname ?? "")"
        case .v6: "[\(address.ipAddress ?? "")]:\(address.port ?? 0)"
        default: "\(address.ipAddress ?? ""):\(address.port ?? 0)"
        }
    }
}

/// A listener that could not be bound, with the address in the message.
public struct ListenError: Error, CustomStringConvertible {
    public let listener: Listener
    public let underlying: any Error
    public var description: String { "cannot listen on \(listener): \(underlying)" }
}
