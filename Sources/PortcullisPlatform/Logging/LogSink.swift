#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where finished log lines go.
public protocol LogSink: Sendable {
    /// Writes one complete line, newline included.
    func write(line: String)
}

/// Writes each line to standard error with a single `write(2)`, so lines from several
/// threads or processes sharing the descriptor never interleave.
public struct StandardErrorSink: LogSink {
    public init() {}

    public func write(line: String) {
        var line = line
        line.withUTF8 { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(STDERR_FILENO, base + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}
