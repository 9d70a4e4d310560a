import Synchronization

/// Receives the messages of the topics it subscribed to. Delivery must not wait: a subscriber
/// queues the message, or gives up on itself when it cannot keep up.
public protocol HubSubscriber: AnyObject, Sendable {
    func receive(_ message: HubMessage)
}

/// Carries messages published in this process to the hubs of other processes — the other
/// workers through the master, other nodes through PostgreSQL — whose links hand them to
/// ``Hub/deliver(_:)`` there.
public protocol HubLink: Sendable {
    /// Sends a message published here; must not wait.
    func forward(_ message: HubMessage)
}

/// The process's publish/subscribe switchboard: topics to local subscribers, plus links to
/// other processes. Publishing and delivery never wait on a subscriber or a link, and a
/// publisher's messages reach each subscriber of a topic in the order they were published.
public final class Hub: Sendable {
    private let topics = Mutex<[String: [ObjectIdentifier: any HubSubscriber]]>([:])
    private let links = Mutex<[any HubLink]>([])

    public init() {}

    /// Adds a link to other processes; messages published from now on go over it too.
    public func attach(_ link: any HubLink) {
        links.withLock { $0.append(link) }
    }

    public func subscribe(_ subscriber: any HubSubscriber, to topic: String) {
        topics.withLock { $0[topic, default: [:]][ObjectIdentifier(subscriber)] = subscriber }
    }

    public func unsubscribe(_ subscriber: any HubSubscriber, from topic: String) {
        topics.withLock { topics in
            topics[topic]?[ObjectIdentifier(subscriber)] = nil
            if topics[topic]?.isEmpty == true { topics[topic] = nil }
        }
    }

    /// Sends `message` to this process's subscribers and over every link.
    public func publish(_ message: HubMessage) {
        deliver(message)
        for link in links.withLock({ $0 }) { link.forward(message) }
    }

    /// Sends `message`, which came over a link, to this process's subscribers only.
    public func deliver(_ message: HubMessage) {
        guard let subscribers = topics.withLock({ $0[message.topic] }) else { return }
        for subscriber in subscribers.values { subscriber.receive(message) }
    }

    /// How many subscribers `topic` has in this process.
    public func subscriberCount(_ topic: String) -> Int {
        topics.withLock { $0[topic]?.count ?? 0 }
    }
}
