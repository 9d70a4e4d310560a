#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where finished log lines go.
public protocol LogSink: Sendable {
    /// Writes one complete line, newline included.
    func write(line: String)
    /// Writes one complete line given as UTF-8 bytes, newline included.
    func write(utf8 line: [UInt8])
    /// Writes what the sink holds back, before the process exits.
    func flush()
}

extension LogSink {
    public func write(utf8 line: [UInt8]) {
        write(line: String(decoding: line, as: UTF8.self))
    }

    public func flush() {}
}

/// Writes each line to standard error with a single `write(2)`, so lines from several
/// threads or processes sharing the descriptor never interleave.
public struct StandardErrorSink: LogSink {
    public init() {}

    public func write(line: String) {
        var line = line
        line.withUTF8 { writeFully(STDERR_FILENO, UnsafeRawBufferPointer($0)) }
    }
}

/// Writes all of `bytes`, resuming after interrupted and partial writes; gives up silently
/// on an error, as a logger must.
func writeFully(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) {
    guard let base = bytes.baseAddress else { return }
    var offset = 0
    while offset < bytes.count {
        let written = Glibc.write(descriptor, base + offset, bytes.count - offset)
        if written > 0 {
            offset += written
        } else if written < 0 && errno == EINTR {
            continue
        } else {
            return
        }
    }
}
