import Foundation

/// What a command asks the loader for: the file, the flags and the environment to read.
public struct ConfigRequest: Sendable {
    /// The default configuration file, read when it exists and `--config` is not given.
    public static let defaultFile = "/etc/portcullis/portcullis.yaml"

    /// `--config`; when set, the file must exist.
    public var configFile: String?
    /// `--profile`.
    public var profile: String?
    /// `--workers`.
    public var workers: Int?
    /// `--listen`, repeatable.
    public var listen: [String]
    /// The process environment (`PORTCULLIS_*`, `STATE_DIRECTORY`).
    public var environment: [String: String]
    /// Where `.env` is looked for in the development profile.
    public var workingDirectory: String
    /// Whether to read ``defaultFile`` when `configFile` is nil.
    public var readDefaultFile: Bool

    public init(
        configFile: String? = nil,
        profile: String? = nil,
        workers: Int? = nil,
        listen: [String] = [],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        workingDirectory: String = FileManager.default.currentDirectoryPath,
        readDefaultFile: Bool = true
    ) {
        self.configFile = configFile
        self.profile = profile
        self.workers = workers
        self.listen = listen
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.readDefaultFile = readDefaultFile
    }
}
