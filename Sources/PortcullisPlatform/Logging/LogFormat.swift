import Logging

/// How log lines are written: one JSON object per line, readable text for a terminal, or
/// structured journal entries when standard error is the systemd journal.
public enum LogFormat: String, Sendable {
    case json
    case text
    /// Not a `log.format` value: chosen when `JOURNAL_STREAM` says standard error is the journal.
    case journal
}

/// The `log.level` names, which are swift-log's.
enum LogLevelName {
    static let all = Logger.Level.allCases.map(\.rawValue)
}
