public import Logging

/// How log lines are written: one JSON object per line, or readable text for a terminal.
public enum LogFormat: String, Sendable {
    case json
    case text
}

/// The `log.level` names, which are swift-log's.
enum LogLevelName {
    static let all = Logger.Level.allCases.map(\.rawValue)
}
