import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// A real HTTP server on loopback for the gateway tests to proxy to, in the test process:
/// `/echo` answers with what it received (method, path, query, headers) as JSON, `/upload`
/// counts a streamed body, `/download?bytes=N` streams N bytes, `/truncated` dies after
/// 64 KiB of a chunked body, `/slow` answers after 3 s,
/// `/status/N` answers N. Every request is counted by path.
final class TestUpstream: Sendable {
    let port: Int
    let name: String
    private let task: Task<Void, any Error>
    private let seen = Mutex<[String]>([])

    /// The paths it received, in order.
    var paths: [String] { seen.withLock { $0 } }

    private init(name: String, port: Int, task: Task<Void, any Error>) {
        self.name = name
        self.port = port
        self.task = task
    }

    /// Starts on a loopback port, or on the unix socket `socket`.
    static func start(_ name: String, socket: String? = nil) async throws -> TestUpstream {
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
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        var iterator = ports.stream.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { throw CancellationError() }
        let upstream = TestUpstream(name: name, port: port, task: task)
        box.upstream.withLock { $0 = upstream }
        return upstream
    }

    func record(_ path: String) { seen.withLock { $0.append(path) } }

    func stop() { task.cancel() }

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
