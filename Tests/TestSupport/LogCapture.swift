import Foundation
import PortcullisPlatform
import Synchronization

/// A log sink that keeps every line, for tests that assert on what was logged.
public final class LogCapture: LogSink {
    private let lines = Mutex<[String]>([])

    public init() {}

    public func write(line: String) {
        lines.withLock { $0.append(line) }
    }

    /// Every line written so far.
    public var all: [String] { lines.withLock { $0 } }

    /// Every line, joined: for "never appears anywhere" assertions.
    public var text: String { all.joined() }

    /// The lines parsed as JSON objects (lines that are not JSON are skipped).
    public var records: [[String: Any]] {
        all.compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
    }
}
