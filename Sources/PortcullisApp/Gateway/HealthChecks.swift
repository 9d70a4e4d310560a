import AsyncHTTPClient
import NIOCore
import PortcullisPlatform
import ServiceLifecycle

/// The active health checks of the gateway routes that ask for them (`health: {path,
/// interval}`): every `interval`, `GET path` on each upstream; one that does not answer 2xx
/// within the route's timeouts is out until it does again.
/// Each serving process checks for itself, so a worker acts on what it saw.
struct HealthChecks: Service {
    let proxy: GatewayProxy

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for (index, route) in proxy.routes.enumerated() {
                    guard let health = route.config.health else { continue }
                    group.addTask { await check(route: route, index: index, health: health) }
                }
            }
        }
    }

    private func check(route: GatewayProxy.Route, index: Int, health: GatewayRoute.HealthCheck) async {
        let client = proxy.client(for: index)
        let timeout = route.config.timeouts.response
        while !Task.isCancelled {
            await withDiscardingTaskGroup { group in
                for (upstreamIndex, upstream) in route.pool.upstreams.enumerated() {
                    group.addTask {
                        let request = HTTPClientRequest(url: GatewayProxy.url(of: upstream, path: health.path))
                        let status = try? await client.execute(request, timeout: TimeAmount(timeout)).status.code
                        route.pool.checked(upstreamIndex, healthy: status.map { (200..<300).contains($0) } ?? false)
                    }
                }
            }
            try? await Task.sleep(for: health.interval)
        }
    }
}
