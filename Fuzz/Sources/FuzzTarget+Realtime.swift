import NIOCore
@testable import PortcullisApp
import PortcullisPlatform

extension FuzzTarget {
    /// A `/ws/pubsub` frame as a client sends it, and for a publish the hub message it becomes,
    /// which crosses processes and must read back as it was.
    static let pubsub = FuzzTarget(name: "pubsub") { bytes in
        guard case .success(let frame) = PubSubFrame.parse(bytes.text) else { return }
        guard case .publish(let topic, let data) = frame else { return }
        let message = HubMessage(topic: WebSocketBlueprint.pubSubTopic(topic), payload: .text(PubSubFrame.message(topic: topic, data: data)))
        require(HubMessage(encoded: message.encoded) == message, "a published message did not survive the hub")
    }

    /// A `/ws/chat` line: any text a member sends is written as JSON that reads back to it.
    static let chat = FuzzTarget(name: "chat") { bytes in
        let text = bytes.text
        let line = JSONValue.object(["user": "member", "message": .string(text)]).jsonText
        guard case .object(let fields)? = try? JSONValue(parsing: line.utf8) else {
            require(false, "a chat line is not JSON: \(line)")
            return
        }
        require(fields["message"] == .string(text), "a chat message changed on the way")
    }

    /// The hub's wire form as another process (or another node, through PostgreSQL) sends it.
    static let hub = FuzzTarget(name: "hub") { bytes in
        guard let message = HubMessage(encoded: bytes) else { return }
        require(HubMessage(encoded: message.encoded) == message, "a hub message did not survive a round trip")
    }

    /// The control socket between master and worker, its bytes arriving in any pieces.
    static let control = FuzzTarget(name: "control") { bytes in
        guard let first = bytes.first else { return }
        let piece = Int(first % 16) + 1
        var reader = ControlMessage.Reader()
        var offset = 1
        while offset < bytes.count {
            let end = min(bytes.count, offset + piece)
            reader.append(bytes[offset..<end])
            offset = end
            do {
                while let message = try reader.next() {
                    var again = ControlMessage.Reader()
                    again.append(message.encoded[...])
                    require((try? again.next()) == message, "a control frame did not survive a round trip")
                }
            } catch {
                return
            }
        }
    }
}
