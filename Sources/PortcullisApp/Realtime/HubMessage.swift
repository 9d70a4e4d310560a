public import NIOCore

/// One message on the hub: a topic and a WebSocket payload, encoded once by its publisher and
/// handed as is to every subscriber, in this process or another.
public struct HubMessage: Sendable, Equatable {
    /// The frame subscribers get.
    public enum Payload: Sendable, Equatable {
        case text(String)
        case binary(ByteBuffer)

        /// The payload's size in bytes, what it costs a queue that holds it.
        public var byteCount: Int {
            switch self {
            case .text(let text): text.utf8.count
            case .binary(let buffer): buffer.readableBytes
            }
        }
    }

    public let topic: String
    public let payload: Payload

    public init(topic: String, payload: Payload) {
        self.topic = topic
        self.payload = payload
    }

    /// The bytes another process reads back with ``init(encoded:)``: a kind byte (`t` or `b`),
    /// the topic's UTF-8 length in eight bytes (big-endian, so no topic can overflow it), the
    /// topic, then the payload.
    public var encoded: [UInt8] {
        let topicBytes = Array(topic.utf8)
        let length = UInt64(topicBytes.count)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.headerBytes + topicBytes.count + payload.byteCount)
        switch payload {
        case .text: bytes.append(UInt8(ascii: "t"))
        case .binary: bytes.append(UInt8(ascii: "b"))
        }
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: length >> UInt64(shift))) }
        bytes += topicBytes
        switch payload {
        case .text(let text): bytes += text.utf8
        case .binary(let buffer): bytes += buffer.readableBytesView
        }
        return bytes
    }

    /// The kind byte and the topic length.
    static let headerBytes = 9

    /// Reads ``encoded``; nil for bytes that are not a message, whatever they are.
    public init?(encoded bytes: [UInt8]) {
        guard bytes.count >= Self.headerBytes else { return nil }
        let length = bytes[1..<Self.headerBytes].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard length <= UInt64(bytes.count - Self.headerBytes) else { return nil }
        let topicEnd = Self.headerBytes + Int(length)
        guard let topic = String(validating: bytes[Self.headerBytes..<topicEnd], as: UTF8.self) else { return nil }
        let body = bytes[topicEnd...]
        switch bytes[0] {
        case UInt8(ascii: "t"):
            guard let text = String(validating: body, as: UTF8.self) else { return nil }
            self.init(topic: topic, payload: .text(text))
        case UInt8(ascii: "b"):
            self.init(topic: topic, payload: .binary(ByteBuffer(bytes: body)))
        default:
            return nil
        }
    }
}
