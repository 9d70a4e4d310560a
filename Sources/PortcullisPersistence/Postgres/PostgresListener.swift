import Logging
import NIOSSL
import PortcullisPlatform
import PostgresNIO

/// `LISTEN` on a connection of its own — outside the pool, whose connections a long `LISTEN`
/// would take from requests — reconnecting with a growing pause while the server is away.
struct PostgresListener: Sendable {
    let server: DatabaseURL.Postgres
    let logger: Logger

    /// The stream ``Store/notifications(on:)`` promises: each notification with its payload,
    /// and `.connected` after each (re)connect, as notifications sent while disconnected are lost.
    func notifications(on channel: String) -> AsyncStream<StoreNotification> {
        let (stream, continuation) = AsyncStream.makeStream(of: StoreNotification.self)
        let task = Task {
            var pause = Duration.milliseconds(250)
            while !Task.isCancelled {
                do {
                    try await listen(on: channel) { notification in
                        pause = .milliseconds(250)
                        continuation.yield(notification)
                    }
                } catch {
                    guard !Task.isCancelled else { break }
                    logger.warning("listening for notifications failed; reconnecting", metadata: [
                        "channel": .string(channel), "error": .string("\(PostgresSession.translate(error))"),
                        "retry_in": .stringConvertible(pause),
                    ])
                }
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(5))
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// One connection's life: connects, listens, calls `received` once connected and once per
    /// notification, and returns or throws when the connection ends.
    private func listen(on channel: String, received: (StoreNotification) -> Void) async throws {
        let tls: PostgresConnection.Configuration.TLS = switch server.tls {
        case .disable: .disable
        case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(
            host: server.host, port: server.port, username: server.user, password: server.password,
            database: server.database, tls: tls
        )
        configuration.options.connectTimeout = .seconds(5)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
        do {
            try await withTaskCancellationHandler {
                try await connection.listen(on: channel) { notifications in
                    received(.connected)
                    for try await notification in notifications { received(.message(notification.payload)) }
                }
            } onCancel: {
                connection.close().whenComplete { _ in }
            }
        } catch {
            try? await connection.close()
            throw error
        }
        try? await connection.close()
    }
}
