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
    public var encoded: [UInt8] {
        var bytes: [UInt8] = []
        let topicBytes = Array(topic.utf8)
        func header(_ kind: Character, payloadCount: Int) {
            bytes.reserveCapacity(3 + topicBytes.count + payloadCount)
            bytes += [kind.asciiValue!, UInt8(topicBytes.count >> 8), UInt8(topicBytes.count & 0xff)]
            bytes += topicBytes
        }
        switch payload {
        case .text(let text):
            header("t", payloadCount: text.utf8.count)
            bytes += text.utf8
        case .binary(let buffer):
            header("b", payloadCount: buffer.readableBytes)
            bytes += buffer.readableBytesView
        }
        return bytes
    }

    /// Reads ``encoded``; nil for bytes that are not a message.
    public init?(encoded bytes: [UInt8]) {
        guard bytes.count >= 3 else { return nil }
        let topicLength = Int(bytes[1]) << 8 | Int(bytes[2])
        guard bytes.count >= 3 + topicLength,
            let topic = String(validating: bytes[3..<(3 + topicLength)], as: UTF8.self)
        else { return nil }
        let body = bytes[(3 + topicLength)...]
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
