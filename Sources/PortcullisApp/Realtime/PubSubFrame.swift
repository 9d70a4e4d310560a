import PortcullisPlatform

/// The frames of `/ws/pubsub`: what a client may send, what it gets back, and the error frame
/// for anything else — which leaves the connection open.
enum PubSubFrame: Equatable {
    case subscribe(topic: String)
    case unsubscribe(topic: String)
    case publish(topic: String, data: JSONValue)

    /// Topics are 1 to 256 bytes of UTF-8: bytes, not characters, since one character can be
    /// any number of bytes (a letter with thousands of combining accents is one).
    static let topicBytes = 1...256

    /// Reads a client's text frame; the error is the message of the error frame to answer.
    static func parse(_ text: String) -> Result<PubSubFrame, PubSubError> {
        guard let value = try? JSONValue(parsing: text.utf8) else {
            return .failure(PubSubError("frame is not valid JSON"))
        }
        guard case .object(let fields) = value else { return .failure(PubSubError("frame must be a JSON object")) }
        guard case .string(let type)? = fields["type"] else {
            return .failure(PubSubError("missing field: type (a string)"))
        }
        guard ["subscribe", "unsubscribe", "publish"].contains(type) else {
            return .failure(PubSubError("unknown type: \(type) (expected subscribe, unsubscribe or publish)"))
        }
        guard case .string(let topic)? = fields["topic"] else {
            return .failure(PubSubError("missing field: topic (a string)"))
        }
        guard topicBytes.contains(topic.utf8.count) else {
            return .failure(PubSubError("topic must be \(topicBytes.lowerBound) to \(topicBytes.upperBound) bytes of UTF-8"))
        }
        switch type {
        case "subscribe": return .success(.subscribe(topic: topic))
        case "unsubscribe": return .success(.unsubscribe(topic: topic))
        default:
            guard let data = fields["data"] else { return .failure(PubSubError("missing field: data")) }
            return .success(.publish(topic: topic, data: data))
        }
    }

    /// `{"type":"subscribed"|"unsubscribed","topic":…}`.
    static func acknowledgement(_ type: String, topic: String) -> String {
        JSONValue.object(["type": .string(type), "topic": .string(topic)]).jsonText
    }

    /// `{"type":"message","topic":…,"data":…}`, what subscribers get.
    static func message(topic: String, data: JSONValue) -> String {
        JSONValue.object(["type": "message", "topic": .string(topic), "data": data]).jsonText
    }
}

/// Why a pub/sub frame was refused; sent as `{"type":"error","message":…}`.
struct PubSubError: Error, Equatable {
    let message: String

    init(_ message: String) { self.message = message }

    var frame: String { JSONValue.object(["type": "error", "message": .string(message)]).jsonText }
}
