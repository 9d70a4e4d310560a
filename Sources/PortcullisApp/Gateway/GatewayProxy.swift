import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import PortcullisHTTP
import PortcullisPersistence
import PortcullisPlatform
import Synchronization

/// `gateway.routes`: requests under a route's prefix go to one of its upstreams through
/// AsyncHTTPClient (pooled connections, one client per route with the route's timeouts), both
/// bodies streaming, never held. A `token` route answers 401 without a valid bearer token and
/// passes the user's identity headers; every route drops hop-by-hop headers, sets the
/// forwarding headers, `X-Request-ID` and `traceparent`, and adds the upstream, its status and
/// its time to the access line. An idempotent request without a body that could not connect is
/// tried on another upstream (`retries`); none available is 503, a failure 502, a timeout 504.
final class GatewayProxy: EdgeGateway {
    struct Route: Sendable {
        let config: GatewayRoute
        let pool: UpstreamPool
        let maxBodyBytes: Int
        /// How `https://` and `wss://` upstreams are verified: `tls_ca_file`, or the system's store.
        let tls: TLSConfiguration
        /// Each upstream's URL up to the forwarded path, made once; nil for a unix socket.
        let bases: [String?]

        init(config: GatewayRoute, maxBodyBytes: Int) {
            self.config = config
            pool = UpstreamPool(route: config)
            self.maxBodyBytes = maxBodyBytes
            var tls = TLSConfiguration.makeClientConfiguration()
            if let file = config.tlsCAFile { tls.trustRoots = .file(file) }
            self.tls = tls
            bases = pool.upstreams.map(GatewayProxy.base)
        }
    }

    let routes: [Route]
    private let services: AppServices
    private let forwardedStyle: ForwardedHeader
    private let webSockets: WebSocketProxy
    /// `cors.origins`: the browser origins that may open a relayed WebSocket.
    private let origins: AllowedOrigins
    /// One client per route, made when the route is first used, so a process that never
    /// proxies (the master) makes none.
    private let clients = Mutex<[Int: HTTPClient]>([:])

    init(config: PortcullisConfig, services: AppServices, sessions: WebSocketSessions) {
        webSockets = WebSocketProxy(sessions: sessions, maxMessageBytes: config.ws.maxMessageBytes)
        origins = AllowedOrigins(config.cors.origins)
        routes = config.gateway.routes.map { route in
            Route(config: route, maxBodyBytes: route.maxBodyBytes ?? config.server.maxBodyBytes)
        }
        self.services = services
        forwardedStyle = config.server.forwardedHeader
    }

    func route(for path: Substring) -> EdgeRoute? {
        routes.firstIndex { $0.config.matches(path) }.map { EdgeRoute(index: $0, template: routes[$0].config.prefix) }
    }

    /// Closes every client's connections; after the server stopped.
    func shutdown() async {
        let made = clients.withLock { clients in
            defer { clients = [:] }
            return Array(clients.values)
        }
        for client in made { try? await client.shutdown() }
    }

    func respond(to request: Request, route edgeRoute: EdgeRoute, context: AppRequestContext) async throws -> Response {
        let index = edgeRoute.index
        let route = routes[index]
        var headers = ProxyHeaders.upstream(request.headers, context: context, host: Self.host(of: request), style: forwardedStyle)
        if route.config.auth == .token {
            let id = try await BearerAuth.userID(of: request, tokens: services.tokens)
            guard let user = try await services.store.transaction(.readOnly, { session in try await UserRepository.find(id: id, in: session) }) else {
                throw APIError.unauthorized("The token's user no longer exists.")
            }
            IdentityHeaders.set(user, in: &headers)
        }
        if route.config.webSocket, let upgrade = context.webSocket {
            // The upstream sees the relay's own Origin, so the browser's is checked here, as on our own WebSocket routes.
            if let origin = request.headers[.origin], !origins.allows(origin) {
                throw APIError.forbidden("The origin \(origin) may not open WebSockets here (cors.origins).")
            }
            return try await relayWebSocket(upgrade, route: route, path: Self.forwardedPath(request.uri.path, query: request.uri.query, route: route.config),
                                      headers: headers, context: context)
        }
        let declared = request.headers[.contentLength].flatMap(Int.init)
        if let declared, declared > route.maxBodyBytes { throw APIError.payloadTooLarge(limit: route.maxBodyBytes) }
        let hasBody = (declared ?? 0) > 0 || request.headers[.transferEncoding] != nil
        let retryable = !hasBody && [.get, .head, .options, .delete, .put, .trace].contains(request.method)
        let path = Self.forwardedPath(request.uri.path, query: request.uri.query, route: route.config)
        let client = client(for: index)
        var excluded: Set<Int> = []
        var lastFailure: UpstreamFailure?
        // The access line names every upstream tried, as nginx's $upstream_addr does.
        var tried: [String] = []
        var upstreamTime = 0.0
        defer {
            context.accessNotes.add(.init("upstream", .text(tried.isEmpty ? "-" : tried.joined(separator: ", "))))
            if !tried.isEmpty { context.accessNotes.add(.init("upstream_ms", .number(upstreamTime))) }
        }
        while true {
            guard let chosen = route.pool.pick(excluding: excluded) else {
                if let lastFailure { throw lastFailure.error }
                throw APIError.unavailable("No upstream of \(route.config.prefix) is available.")
            }
            let upstream = route.pool.upstreams[chosen]
            var outgoing = HTTPClientRequest(url: route.bases[chosen].map { $0 + path } ?? Self.url(of: upstream, path: path))
            outgoing.method = HTTPMethod(rawValue: request.method.rawValue)
            outgoing.headers = HTTPHeaders(headers.map { ($0.name.rawName, $0.value) })
            if hasBody {
                let length: HTTPClientRequest.Body.Length = declared.map { .known(Int64($0)) } ?? .unknown
                outgoing.body = .stream(LimitedBody(body: request.body, limit: route.maxBodyBytes), length: length)
            }
            let started = ContinuousClock.now
            tried.append(upstream.description)
            let response: HTTPClientResponse
            do {
                response = try await client.execute(outgoing, timeout: TimeAmount(route.config.timeouts.response))
            } catch {
                upstreamTime += Self.milliseconds(since: started)
                let failure = UpstreamFailure(error, upstream: upstream.description)
                GatewayMetrics.responses[route.config.prefix, upstream.description, failure.outcome].increment()
                route.pool.finished(chosen, failed: failure.error != .payloadTooLarge(limit: route.maxBodyBytes))
                excluded.insert(chosen)
                lastFailure = failure
                guard failure.beforeSending, retryable, excluded.count <= route.config.retries else { throw failure.error }
                continue
            }
            upstreamTime += Self.milliseconds(since: started)
            let status = Int(response.status.code)
            context.accessNotes.add(.init("upstream_status", .integer(status)))
            GatewayMetrics.latency[route.config.prefix, upstream.description].recordInterval(since: started)
            GatewayMetrics.responses[route.config.prefix, upstream.description, HTTPMetrics.statusClass(status)].increment()
            do {
                return try await Self.relay(response, outstanding: Outstanding(pool: route.pool, index: chosen, failed: status >= 500))
            } catch {
                // The body broke off before anything went to the client, so it can still get an error.
                throw UpstreamFailure(error, upstream: upstream.description).error
            }
        }
    }

    /// A WebSocket handshake on a `websocket: true` route: relayed to one of the route's upstreams.
    private func relayWebSocket(
        _ upgrade: WebSocketUpgrade, route: Route, path: String, headers: HTTPFields, context: AppRequestContext
    ) async throws -> Response {
        guard let chosen = route.pool.pick() else { throw APIError.unavailable("No upstream of \(route.config.prefix) is available.") }
        let upstream = route.pool.upstreams[chosen]
        context.accessNotes.add(.init("upstream", .text(upstream.description)))
        guard case .tcp(_, _, let tls) = upstream.address else {
            route.pool.finished(chosen, failed: false)
            throw APIError.badGateway("WebSockets cannot be relayed to the unix socket \(upstream.description).")
        }
        // http://… becomes ws://…, https://… wss://….
        let url = "ws" + Self.url(of: upstream, path: path).dropFirst(4)
        let pool = route.pool
        let timeouts = route.config.timeouts
        let started = ContinuousClock.now
        do {
            let response = try await webSockets.relay(
                upgrade, to: url, tls: tls ? route.tls : nil, headers: headers, timeout: timeouts.connect + timeouts.response, logger: context.logger
            ) { failed in pool.finished(chosen, failed: failed) }
            GatewayMetrics.latency[route.config.prefix, upstream.description].recordInterval(since: started)
            GatewayMetrics.responses[route.config.prefix, upstream.description, "1xx"].increment()
            return response
        } catch let error as APIError {
            switch error {
            case .gatewayTimeout: GatewayMetrics.responses[route.config.prefix, upstream.description, "timeout"].increment()
            case .badGateway: GatewayMetrics.responses[route.config.prefix, upstream.description, "failed"].increment()
            default: break // refused here (ws.max_connections) before the upstream was asked
            }
            throw error
        }
    }

    /// The request sent to an upstream, counted in its pool until the response's body was
    /// relayed or dropped.
    final class Outstanding: Sendable {
        let pool: UpstreamPool
        let index: Int
        let failed: Bool

        init(pool: UpstreamPool, index: Int, failed: Bool) {
            self.pool = pool
            self.index = index
            self.failed = failed
        }

        deinit { pool.finished(index, failed: failed) }
    }

    /// The upstream's response as the client gets it: end-to-end headers, the body streaming.
    ///
    /// A body of known length up to ``wholeBodyBytes`` that the upstream sent in one piece with
    /// its head goes out with the head in one write, as our own responses do; a streamed one
    /// costs a write per part (head, each chunk, end), each its own system call. Nothing more
    /// is held for it: the streaming path holds the same chunk while it writes it.
    private static func relay(_ response: HTTPClientResponse, outstanding: Outstanding) async throws -> Response {
        var fields = HTTPFields()
        for (name, value) in response.headers {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        fields = ProxyHeaders.endToEnd(fields)
        let length = fields[.contentLength].flatMap(Int.init)
        fields[.contentLength] = nil
        let status = HTTPResponse.Status(code: Int(response.status.code), reasonPhrase: response.status.reasonPhrase)
        // One task at a time uses it: this one, then the body's writer once the response is
        // returned. AsyncHTTPClient's iterator is not Sendable because two must not share it.
        nonisolated(unsafe) var iterator = response.body.makeAsyncIterator()
        var first: ByteBuffer?
        if let length, length <= wholeBodyBytes {
            first = try await iterator.next()
            if first?.readableBytes ?? 0 == length, try await iterator.next() == nil {
                withExtendedLifetime(outstanding) {}
                return Response(status: status, headers: fields, body: .init(byteBuffer: first ?? ByteBuffer()))
            }
        }
        return Response(
            status: status,
            headers: fields,
            body: ResponseBody(contentLength: length) { [first] writer in
                withExtendedLifetime(outstanding) {}
                if let first { try await writer.write(first) }
                while let chunk = try await iterator.next() { try await writer.write(chunk) }
                try await writer.finish(nil)
            }
        )
    }

    /// The largest body that may go out with its head in one write.
    static let wholeBodyBytes = 64 * 1024

    /// Route `index`'s client, made on first use.
    func client(for index: Int) -> HTTPClient {
        clients.withLock { clients in
            if let client = clients[index] { return client }
            let timeouts = routes[index].config.timeouts
            var configuration = HTTPClient.Configuration()
            configuration.timeout = .init(connect: TimeAmount(timeouts.connect), read: TimeAmount(timeouts.idle))
            configuration.tlsConfiguration = routes[index].tls
            configuration.redirectConfiguration = .disallow
            configuration.decompression = .disabled
            configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 256)
            // The trace goes upstream in our own `traceparent`; the client's span attributes
            // (URL parsed again, attribute sets built for a tracer that records nothing) cost
            // every proxied request some 7 % of its worker's time.
            configuration.tracing.tracer = nil
            let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
            clients[index] = client
            return client
        }
    }

    /// The path and query the upstream gets: the prefix taken off when the route strips it.
    static func forwardedPath(_ path: String, query: String?, route: GatewayRoute) -> String {
        var forwarded = path
        if route.stripPrefix {
            forwarded = "/" + path.dropFirst(min(path.count, route.prefix.count))
        }
        if let query, !query.isEmpty { forwarded += "?" + query }
        return forwarded
    }

    static func url(of upstream: Upstream, path: String) -> String {
        switch upstream.address {
        case .tcp:
            return (base(of: upstream) ?? "") + path
        case .unix(let socket):
            return URL(httpURLWithSocketPath: socket, uri: upstream.basePath + path)?.absoluteString ?? "http+unix://invalid" + path
        }
    }

    /// A TCP upstream's scheme, authority and base path; nil for a unix socket.
    static func base(of upstream: Upstream) -> String? {
        guard case .tcp(let host, let port, let tls) = upstream.address else { return nil }
        let authority = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        return (tls ? "https://" : "http://") + authority + upstream.basePath
    }

    /// The request's `Host` (or HTTP/2 authority) when it is a plain host name or address,
    /// for `X-Forwarded-Host`; nil otherwise.
    static func host(of request: Request) -> String? {
        guard let authority = request.head.authority, (1...255).contains(authority.utf8.count),
              authorityBytes.containsAll(authority) else { return nil }
        return authority
    }

    private static let authorityBytes = ASCIISet(alphanumericsAnd: ".-:[]")

    private static func milliseconds(since started: ContinuousClock.Instant) -> Double {
        ((ContinuousClock.now - started).milliseconds * 1000).rounded() / 1000
    }
}
