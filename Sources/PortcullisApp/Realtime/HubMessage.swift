public import NIOCore

/// One message on the hub: a topic and a WebSocket payload, encoded once by its publisher and
/// handed as is to every subscriber, in this process or another.
public struct HubMessage: Sendable, Equatable {
    /// The frame subscribers get.
    public enum Payload: Sendable, Equatable {
        case text(String)
        case binary(ByteBuffer)
    }

    public let topic: String
    public let payload: Payload

    public init(topic: String, payload: Payload) {
        self.topic = topic
        self.payload = payload
    }

    /// The bytes another process reads back with ``init(encoded:)``: a kind byte (`t` or `b`),
    /// the topic's UTF-8 length in two bytes, the topic, then the payload.
    public var encoded: ByteBuffer {
        var buffer = ByteBuffer()
        switch payload {
        case .text(let text):
            buffer.reserveCapacity(3 + topic.utf8.count + text.utf8.count)
            buffer.writeInteger(UInt8(ascii: "t"))
            buffer.writeInteger(UInt16(topic.utf8.count))
            buffer.writeString(topic)
            buffer.writeString(text)
        case .binary(let bytes):
            buffer.reserveCapacity(3 + topic.utf8.count + bytes.readableBytes)
            buffer.writeInteger(UInt8(ascii: "b"))
            buffer.writeInteger(UInt16(topic.utf8.count))
            buffer.writeString(topic)
            buffer.writeImmutableBuffer(bytes)
        }
        return buffer
    }

    /// Reads ``encoded``; nil for bytes that are not a message.
    public init?(encoded: ByteBuffer) {
        var buffer = encoded
        guard let kind = buffer.readInteger(as: UInt8.self), let length = buffer.readInteger(as: UInt16.self),
            let topic = buffer.readString(length: Int(length))
        else { return nil }
        switch kind {
        case UInt8(ascii: "t"):
            guard let text = buffer.readString(length: buffer.readableBytes) else { return nil }
            self.init(topic: topic, payload: .text(text))
        case UInt8(ascii: "b"):
            self.init(topic: topic, payload: .binary(buffer))
        default:
            return nil
        }
    }
}
