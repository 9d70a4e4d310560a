import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A real HTTP server on loopback for the gateway tests to proxy to, in the test process:
/// `/echo` answers with what it received (method, path, query, headers) as JSON, `/upload`
/// counts a streamed body, `/download?bytes=N` streams N bytes, `/truncated` dies after
/// 64 KiB of a chunked body, `/slow` answers after 3 s,
/// `/status/N` answers N. Every request is counted by path.
final class TestUpstream: Sendable {
    let port: Int
    let name: String
    private let group: ServiceGroup
    private let task: Task<Void, any Error>
    private let seen = Mutex<[String]>([])

    /// The paths it received, in order.
    var paths: [String] { seen.withLock { $0 } }

    private init(name: String, port: Int, group: ServiceGroup, task: Task<Void, any Error>) {
        self.name = name
        self.port = port
        self.group = group
        self.task = task
    }

    /// Runs `body` with an upstream on a loopback port (or on the unix socket `socket`), and
    /// stops it gracefully afterwards, whether `body` returned or threw.
    static func with(_ name: String, socket: String? = nil, _ body: (TestUpstream) async throws -> Void) async throws {
        let upstream = try await start(name, socket: socket)
        do {
            try await body(upstream)
        } catch {
            await upstream.stop()
            throw error
        }
        await upstream.stop()
    }

    /// Runs `body` with two upstreams, stopping both afterwards.
    static func with(_ first: String, _ second: String, _ body: (TestUpstream, TestUpstream) async throws -> Void) async throws {
        try await with(first) { a in
            try await with(second) { b in try await body(a, b) }
        }
    }

    private static func start(_ name: String, socket: String? = nil) async throws -> TestUpstream {
        let router = Router()
        let box = LogBox()
        router.middlewares.add(CountingMiddleware(box: box))
        router.on("/echo/**", method: .get, use: echo(name))
        router.on("/echo/**", method: .post, use: echo(name))
        router.on("/echo", method: .get, use: echo(name))
        router.post("/upload") { request, _ -> String in
            var total = 0
            for try await buffer in request.body { total += buffer.readableBytes }
            return "\(total)"
        }
        router.get("/download") { request, _ -> Response in
            let bytes = Int(request.uri.queryParameters.get("bytes") ?? "0") ?? 0
            return Response(status: .ok, body: ResponseBody(contentLength: bytes) { writer in
                let chunk = ByteBuffer(repeating: 0x61, count: 1 << 20)
                var left = bytes
                while left > 0 {
                    let size = min(left, chunk.readableBytes)
                    try await writer.write(chunk.getSlice(at: 0, length: size)!)
                    left -= size
                }
                try await writer.finish(nil)
            })
        }
        router.get("/truncated") { _, _ -> Response in
            Response(status: .ok, body: ResponseBody { writer in
                try await writer.write(ByteBuffer(repeating: 0x61, count: 1 << 16))
                throw CancellationError()
            })
        }
        router.get("/slow") { _, _ -> String in
            try await Task.sleep(for: .seconds(3))
            return "slow"
        }
        router.get("/status/:code") { _, context -> Response in
            Response(status: .init(code: Int(context.parameters.get("code") ?? "500") ?? 500))
        }
        let ports = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: socket.map { .unixDomainSocket(path: $0) } ?? .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                ports.continuation.yield(socket == nil ? channel.localAddress?.port ?? 0 : 1)
                ports.continuation.finish()
            })
        let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "test-upstream")))
        let task = Task { try await group.run() }
        var iterator = ports.stream.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { throw CancellationError() }
        let upstream = TestUpstream(name: name, port: port, group: group, task: task)
        box.upstream.withLock { $0 = upstream }
        return upstream
    }

    func record(_ path: String) { seen.withLock { $0.append(path) } }

    /// A graceful stop, not a cancelled task: cancelling a Hummingbird server while it holds an
    /// accepted connection it has not served yet traps in NIO ("Deinited NIOAsyncWriter without
    /// calling finish()", apple/swift-nio#2813), which took the whole test process down once.
    /// A request still running after 10 s is cut.
    private func stop() async {
        await group.triggerGracefulShutdown()
        let task = self.task
        let cut = Task {
            try await Task.sleep(for: .seconds(10))
            task.cancel()
        }
        _ = try? await task.value
        cut.cancel()
    }

    private static func echo(_ name: String) -> @Sendable (Request, BasicRequestContext) async throws -> Response {
        { request, _ in
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = (headers[field.name.canonicalName].map { $0 + ", " } ?? "") + field.value }
            var received = 0
            for try await buffer in request.body { received += buffer.readableBytes }
            let object: [String: Any] = [
                "upstream": name, "method": request.method.rawValue, "path": request.uri.path, "query": request.uri.query ?? "",
                "headers": headers, "body_bytes": received,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: data)))
        }
    }

    /// Where the counting middleware finds its upstream once it exists.
    final class LogBox: Sendable {
        let upstream = Mutex<TestUpstream?>(nil)
    }

    struct CountingMiddleware: RouterMiddleware {
        let box: LogBox
        func handle(_ request: Request, context: BasicRequestContext, next: (Request, BasicRequestContext) async throws -> Response) async throws -> Response {
            box.upstream.withLock { $0 }?.record(request.uri.path)
            return try await next(request, context)
        }
    }
}
