import Hummingbird
import Logging
import NIOCore
import PortcullisPlatform

/// `metrics.listen`: the master's own HTTP listener, answering `GET /metrics` with the node's
/// exposition and 404 to anything else. It is never one of the public listeners.
enum MetricsServer {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Serves until cancelled; `scrape` makes each answer's body.
    static func run(on address: ListenAddress, logger: Logger, scrape: @escaping @Sendable () async -> [UInt8]) async throws {
        let router = Router()
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(bytes: await scrape())))
        }
        let bind: BindAddress = switch address {
        case .tcp(let host, let port): .hostname(host, port: port)
        case .unix(let path): .unixDomainSocket(path: path)
        }
        let app = Application(router: router, configuration: .init(address: bind, serverName: nil), logger: logger)
        try await app.run()
    }
}
