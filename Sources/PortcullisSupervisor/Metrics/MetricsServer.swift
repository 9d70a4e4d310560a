import Hummingbird
import Logging
import NIOCore
import PortcullisPlatform
import ServiceLifecycle

/// `metrics.listen`: the master's own HTTP listener, answering `GET /metrics` with the node's
/// exposition and 404 to anything else. It is never one of the public listeners.
final class MetricsServer: Sendable {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private let group: ServiceGroup
    private let task: Task<Void, Never>

    /// Starts serving on `address`; `scrape` makes each answer's body.
    init(on address: ListenAddress, logger: Logger, scrape: @escaping @Sendable () async -> [UInt8]) {
        let router = Router()
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: Self.contentType], body: .init(byteBuffer: ByteBuffer(bytes: await scrape())))
        }
        let bind: BindAddress = switch address {
        case .tcp(let host, let port): .hostname(host, port: port)
        case .unix(let path): .unixDomainSocket(path: path)
        }
        let app = Application(router: router, configuration: .init(address: bind, serverName: nil), logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        self.group = group
        task = Task {
            do {
                try await group.run()
            } catch {
                logger.error("cannot serve metrics", metadata: ["address": .string(address.description), "error": .string("\(error)")])
            }
        }
    }

    /// Closes the listener the way a graceful stop does (Hummingbird's server logs an error
    /// when its accept loop is cancelled instead), and waits for it; a scrape still waiting for
    /// the master's loop after ``stopGrace`` is cut.
    func stop() async {
        await group.triggerGracefulShutdown()
        let task = self.task
        let cut = Task {
            try? await Task.sleep(for: Self.stopGrace)
            task.cancel()
        }
        await task.value
        cut.cancel()
    }

    static let stopGrace = Duration.seconds(1)
}
