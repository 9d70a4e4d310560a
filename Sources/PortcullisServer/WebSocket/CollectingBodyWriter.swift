import HTTPTypes
import Hummingbird
import NIOCore

/// Collects a refusal's body, which is small: an error document.
struct CollectingBodyWriter: ResponseBodyWriter {
    final class Collected {
        var buffer = ByteBuffer()
    }

    let collected = Collected()

    mutating func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        collected.buffer.writeBuffer(&buffer)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
