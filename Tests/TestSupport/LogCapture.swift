import Foundation
import PortcullisPlatform
import Synchronization

/// A log sink that keeps every line, for tests that assert on what was logged.
public final class LogCapture: LogSink {
    private let lines = Mutex<[String]>([])
    /// Each JSON line parsed once, as it is written, so tests that poll the records do not
    /// parse the whole log again on every look.
    private let parsed = Mutex<[ParsedRecord]>([])

    /// A JSON line as an object; `@unchecked` because `[String: Any]` is only ever read.
    private struct ParsedRecord: @unchecked Sendable {
        let fields: [String: Any]
    }

    public init() {}

    public func write(line: String) {
        lines.withLock { $0.append(line) }
        if let fields = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] {
            parsed.withLock { $0.append(ParsedRecord(fields: fields)) }
        }
    }

    /// Every line written so far.
    public var all: [String] { lines.withLock { $0 } }

    /// Every line, joined: for "never appears anywhere" assertions.
    public var text: String { all.joined() }

    /// The lines parsed as JSON objects (lines that are not JSON are skipped).
    public var records: [[String: Any]] {
        parsed.withLock { $0 }.map(\.fields)
    }
}
