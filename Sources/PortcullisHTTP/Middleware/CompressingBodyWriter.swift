import CompressNIO
import Hummingbird
import HTTPTypes

/// Compresses a response body as it is written: full windows go to the connection as they
/// fill, the rest when the body finishes. Memory stays bounded whatever the body's size.
struct CompressingBodyWriter: ResponseBodyWriter {
    private var parent: any ResponseBodyWriter
    private let stream: DeflateStream

    init(parent: any ResponseBodyWriter, coding: ContentCoding) throws {
        self.parent = parent
        self.stream = try DeflateStream(coding: coding)
    }

    mutating func write(_ buffer: ByteBuffer) async throws {
        for chunk in try stream.compress(buffer, finish: false) { try await parent.write(chunk) }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        for chunk in try stream.compress(ByteBuffer(), finish: true) { try await parent.write(chunk) }
        try await parent.finish(trailingHeaders)
    }
}

/// One zlib deflate stream and its output window.
private final class DeflateStream {
    static let windowBytes = 32 * 1024
    private let compressor: ZlibCompressor
    private var window = ByteBufferAllocator().buffer(capacity: DeflateStream.windowBytes)

    init(coding: ContentCoding) throws {
        compressor = try ZlibCompressor(algorithm: coding.algorithm)
    }

    /// Feeds `input` to zlib and returns the output that is ready; with `finish`, everything.
    func compress(_ input: ByteBuffer, finish: Bool) throws -> [ByteBuffer] {
        var input = input
        var chunks: [ByteBuffer] = []
        try input.compressStream(with: compressor, window: &window, flush: finish ? .finish : .no) { chunks.append($0) }
        return chunks
    }
}
