import Foundation

/// What the master tells `portcullis status`: one JSON object on its control socket.
public struct MasterStatus: Codable, Sendable, Equatable {
    /// One worker process, as the master last heard from it.
    public struct Worker: Codable, Sendable, Equatable {
        public var pid: Int32?
        public var index: Int
        public var generation: Int
        /// `starting`, `serving` or `stopping`.
        public var state: String
        public var startedAt: String
        /// Responses it has sent, as of its last heartbeat (at most a second old).
        public var requests: Int
        /// Connections it holds, as of its last heartbeat.
        public var connections: Int
    }

    /// The master's version and git revision.
    public var build: String
    public var pid: Int32
    public var startedAt: String
    public var uptimeSeconds: Int
    /// `booting`, `running`, `reloading`, `stopping` or `stopped`.
    public var phase: String
    /// The generation of workers that serves (or, while reloading, the one starting).
    public var generation: Int
    public var workers: [Worker]
    /// How the last reload since the master started ended, if there was one.
    public var lastReload: ReloadReport?
}

/// How a reload ended, as `portcullis reload` prints it and `portcullis status` shows it.
public struct ReloadReport: Codable, Sendable, Equatable {
    /// `reloaded`, `refused` (the configuration is invalid or its start-up work failed),
    /// `abandoned` (a new worker died before serving) or `ignored` (the master was starting
    /// or stopping).
    public var outcome: String
    public var at: String
    /// The generation that serves afterwards.
    public var generation: Int
    /// Why it was not reloaded; empty when it was.
    public var problems: [String]

    public var succeeded: Bool { outcome == "reloaded" }
}

/// An asker's request that the master could not take: an unknown command.
struct ControlRefusal: Codable, Sendable {
    var error: String
}

/// The control socket's JSON: snake_case keys, as the HTTP API writes them.
enum ControlJSON {
    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return (try? Array(encoder.encode(value))) ?? Array(#"{"error":"cannot encode the answer"}"#.utf8)
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) -> T? {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try? decoder.decode(type, from: Data(bytes))
    }
}
