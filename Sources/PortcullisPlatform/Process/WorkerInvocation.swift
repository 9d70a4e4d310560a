/// How a master starts one worker: the arguments after `portcullis worker`, written by the
/// master and read by the worker through this one type, so the two cannot disagree.
///
/// The descriptors are fixed: the control socket is 3, the in-flight board 4, the node's
/// connection shares 5 and the listening sockets 6, 7, … in the order of ``listeners``. The configuration inputs are the
/// master's own, so the worker loads exactly the configuration the master did.
public struct WorkerInvocation: Sendable, Equatable {
    /// A listening socket the worker inherits.
    public struct InheritedSocket: Sendable, Equatable {
        /// Where the socket listens, as the master's log line shows it.
        public var address: String
        public var tls: Bool

        public init(address: String, tls: Bool) {
            self.address = address
            self.tls = tls
        }
    }

    /// A command line the master did not write.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// The worker's control socket to the master.
    public static let controlDescriptor: Int32 = 3
    /// The shared memory where the worker keeps the IDs of the requests it serves.
    public static let inFlightDescriptor: Int32 = 4
    /// The shared memory where the node's workers keep how many connections each holds.
    public static let sharesDescriptor: Int32 = 5
    /// The first listening socket; the others follow.
    public static let firstListenerDescriptor: Int32 = 6

    public var index: Int
    public var generation: Int
    /// The ID of the master's node, shared by its workers.
    public var node: String
    public var listeners: [InheritedSocket]
    /// The worker's line in the node's ``ConnectionShares``; nil: it does not balance.
    public var shareSlot: Int?
    /// `--config`, `--profile`, `--workers` and `--listen` as the master was given them.
    public var configFile: String?
    public var profile: String?
    public var workers: Int?
    public var listen: [String]

    public init(
        index: Int, generation: Int, node: String, listeners: [InheritedSocket], shareSlot: Int? = nil,
        configFile: String? = nil, profile: String? = nil, workers: Int? = nil, listen: [String] = []
    ) {
        self.index = index
        self.generation = generation
        self.node = node
        self.listeners = listeners
        self.shareSlot = shareSlot
        self.configFile = configFile
        self.profile = profile
        self.workers = workers
        self.listen = listen
    }

    /// The descriptor the worker finds `listeners[offset]` at.
    public static func descriptor(ofListener offset: Int) -> Int32 {
        firstListenerDescriptor + Int32(truncatingIfNeeded: offset)
    }

    /// The configuration inputs, as the worker loads them.
    public var configRequest: ConfigRequest {
        ConfigRequest(configFile: configFile, profile: profile, workers: workers, listen: listen)
    }

    /// The arguments after `worker`.
    public var arguments: [String] {
        var arguments = ["--index", "\(index)", "--generation", "\(generation)", "--node", node]
        for (offset, socket) in listeners.enumerated() {
            arguments += ["--listen-fd", "\(Self.descriptor(ofListener: offset))=" + (socket.tls ? "tls:" : "") + socket.address]
        }
        if let shareSlot { arguments += ["--share-slot", "\(shareSlot)"] }
        if let configFile { arguments += ["--config", configFile] }
        if let profile { arguments += ["--profile", profile] }
        if let workers { arguments += ["--workers", "\(workers)"] }
        for address in listen { arguments += ["--listen", address] }
        return arguments
    }

    /// Reads what ``arguments`` wrote.
    public init(parsing arguments: [String]) throws(ParseError) {
        var index: Int?
        var generation: Int?
        var node: String?
        var listeners: [InheritedSocket] = []
        var shareSlot: Int?
        var configFile: String?
        var profile: String?
        var workers: Int?
        var listen: [String] = []
        var rest = arguments[...]
        while let option = rest.popFirst() {
            guard let value = rest.popFirst() else { throw ParseError(description: "\(option) needs a value") }
            switch option {
            case "--index": index = Int(value)
            case "--generation": generation = Int(value)
            case "--node": node = value
            case "--listen-fd": listeners.append(try Self.inherited(value, expected: Self.descriptor(ofListener: listeners.count)))
            case "--share-slot":
                guard let slot = Int(value), (0..<ConnectionShares.slotCount).contains(slot) else {
                    throw ParseError(description: "--share-slot takes a slot below \(ConnectionShares.slotCount), got \(value)")
                }
                shareSlot = slot
            case "--config": configFile = value
            case "--profile": profile = value
            case "--workers":
                guard let count = Int(value) else { throw ParseError(description: "--workers takes a number, got \(value)") }
                workers = count
            case "--listen": listen.append(value)
            default: throw ParseError(description: "unknown option \(option)")
            }
        }
        guard let index, let generation, let node else {
            throw ParseError(description: "--index, --generation and --node are required, as numbers and an ID")
        }
        self.init(
            index: index, generation: generation, node: node, listeners: listeners, shareSlot: shareSlot,
            configFile: configFile, profile: profile, workers: workers, listen: listen)
    }

    /// One `--listen-fd` value, `FD=ADDRESS` or `FD=tls:ADDRESS`, whose descriptor must be the
    /// next in order.
    private static func inherited(_ value: String, expected: Int32) throws(ParseError) -> InheritedSocket {
        let parts = value.split(separator: "=", maxSplits: 1)
        guard parts.count == 2, let fd = Int32(parts[0]) else {
            throw ParseError(description: "--listen-fd takes FD=ADDRESS or FD=tls:ADDRESS, got \(value)")
        }
        guard fd == expected else { throw ParseError(description: "--listen-fd \(value): expected descriptor \(expected)") }
        let address = String(parts[1])
        if address.hasPrefix("tls:") { return InheritedSocket(address: String(address.dropFirst(4)), tls: true) }
        return InheritedSocket(address: address, tls: false)
    }
}
