import NIOCore
import Synchronization

/// The OpenAPI document's JSON, built on its first request and kept: building it (OpenAPIKit's
/// code, the encoder, every schema) cost each worker 1–2 MiB of memory at start-up, and most
/// workers are never asked for it.
final class DocumentCache: Sendable {
    private let build: @Sendable () throws -> ByteBuffer
    private let built = Mutex<ByteBuffer?>(nil)

    init(_ build: @escaping @Sendable () throws -> ByteBuffer) {
        self.build = build
    }

    /// The document, built now if this is the first request for it.
    func json() throws -> ByteBuffer {
        try built.withLock { built in
            if let built { return built }
            let json = try build()
            built = json
            return json
        }
    }
}
