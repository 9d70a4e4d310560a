import CompressNIO
import NIOWebSocket
import WSCompression
import WSCore

/// permessage-deflate whose decompression limit — `ws.max_message_bytes`, since the limit
/// applies to what a message inflates to — closes with 1009 like any other oversized message,
/// rather than the 1011 the compression library's overflow error would map to.
struct LimitedDeflateBuilder: WebSocketExtensionBuilder {
    static let name = "permessage-deflate"
    let deflate: any WebSocketExtensionBuilder

    init(maxMessageBytes: Int) {
        deflate = WebSocketExtensionFactory.perMessageDeflate(maxDecompressedFrameSize: maxMessageBytes).build()
    }

    func clientRequestHeader() -> String { deflate.clientRequestHeader() }

    func serverReponseHeader(to request: WebSocketExtensionHTTPParameters) -> String? {
        deflate.serverReponseHeader(to: request)
    }

    func serverExtension(from request: WebSocketExtensionHTTPParameters) throws -> (any WebSocketExtension)? {
        try deflate.serverExtension(from: request).map(LimitedDeflate.init)
    }

    func clientExtension(from request: WebSocketExtensionHTTPParameters) throws -> (any WebSocketExtension)? {
        try deflate.clientExtension(from: request)
    }
}

/// The negotiated permessage-deflate, with its overflow reported as a frame too large.
struct LimitedDeflate: WebSocketExtension {
    let deflate: any WebSocketExtension

    var name: String { deflate.name }
    var reservedBits: WebSocketFrame.ReservedBits { deflate.reservedBits }

    func processReceivedFrame(_ frame: WebSocketFrame, context: WebSocketExtensionContext) async throws -> WebSocketFrame {
        do {
            return try await deflate.processReceivedFrame(frame, context: context)
        } catch let error as CompressNIOError where error == .bufferOverflow {
            throw NIOWebSocketError.invalidFrameLength
        }
    }

    func processFrameToSend(_ frame: WebSocketFrame, context: WebSocketExtensionContext) async throws -> WebSocketFrame {
        try await deflate.processFrameToSend(frame, context: context)
    }

    func shutdown() async { await deflate.shutdown() }
}
