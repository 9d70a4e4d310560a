import PortcullisPlatform
import Synchronization

/// What this process has served, counted where it happens: responses by the responder,
/// connections by ``ConnectionLimit``. A worker's heartbeat reports it to the master, whose
/// `portcullis status` shows it.
public final class LoadCounter: Sendable {
    private let requests = Atomic<Int>(0)
    private let connections = Atomic<Int>(0)
    private let accepted = Atomic<Int>(0)

    public init() {}

    /// The responses sent since the process started and the connections open now.
    public var load: WorkerLoad {
        WorkerLoad(requests: requests.load(ordering: .relaxed), connections: connections.load(ordering: .relaxed))
    }

    /// Counts one response; returns how many there have been.
    func responded() -> Int { requests.add(1, ordering: .relaxed).newValue }

    /// The connections accepted since the process started.
    public var acceptedConnections: Int { accepted.load(ordering: .relaxed) }

    func opened() {
        connections.add(1, ordering: .relaxed)
        accepted.add(1, ordering: .relaxed)
    }

    func closed() { connections.subtract(1, ordering: .relaxed) }
}
