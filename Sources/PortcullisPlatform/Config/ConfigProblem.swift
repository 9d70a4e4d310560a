/// One thing wrong with a configuration, tied to the key and the layer it came from.
public struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    /// Whether the problem stops the server from starting.
    public enum Severity: String, Sendable {
        case error
        case warning
    }

    public var severity: Severity
    /// The dotted key, such as `server.workers`.
    public var key: String
    /// The layer the offending value came from.
    public var layer: ConfigLayer
    /// What is wrong, in words an operator can act on.
    public var message: String

    public init(_ severity: Severity, key: String, layer: ConfigLayer, _ message: String) {
        self.severity = severity
        self.key = key
        self.layer = layer
        self.message = message
    }

    /// `error: server.workers (env): must be between 1 and 512, got 0`
    public var description: String { "\(severity.rawValue): \(key) (\(layer.rawValue)): \(message)" }
}
