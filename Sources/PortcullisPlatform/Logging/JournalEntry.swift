import CSystemd
import Glibc
import Logging

/// One log event as a systemd journal entry: `MESSAGE`, `PRIORITY`, `SYSLOG_IDENTIFIER`,
/// `LOGGER`, `WORKER`, and each field under an upper-case journal field name.
struct JournalEntry {
    let level: Logger.Level
    let message: String
    let logger: String
    let worker: Int?
    let fields: Logger.Metadata

    /// The `KEY=value` items of the entry.
    var items: [String] {
        var items = ["MESSAGE=\(message)", "PRIORITY=\(Self.priority(level))", "SYSLOG_IDENTIFIER=portcullis", "LOGGER=\(logger)"]
        if let worker { items.append("WORKER=\(worker)") }
        for key in fields.keys.sorted() {
            guard let value = fields[key] else { continue }
            items.append("\(Self.fieldName(key))=\(JSONWriter.plain(value))")
        }
        return items
    }

    /// Sends the entry with `sd_journal_sendv`; false when the journal did not take it.
    func send() -> Bool {
        let buffers = items.map { Array($0.utf8) }
        var vectors: [iovec] = []
        return withPinned(buffers, index: 0, vectors: &vectors)
    }

    private func withPinned(_ buffers: [[UInt8]], index: Int, vectors: inout [iovec]) -> Bool {
        guard index < buffers.count else {
            return vectors.withUnsafeBufferPointer { sd_journal_sendv($0.baseAddress, Int32($0.count)) } >= 0
        }
        return buffers[index].withUnsafeBytes { raw in
            vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: raw.baseAddress), iov_len: raw.count))
            return withPinned(buffers, index: index + 1, vectors: &vectors)
        }
    }

    /// syslog priorities: 2 critical … 7 debug.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// Journal field names are upper-case letters, digits and `_`, not starting with `_` or a digit.
    static func fieldName(_ key: String) -> String {
        var name = String(key.uppercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
        if let first = name.first, first == "_" || first.isNumber { name = "F" + name }
        return name
    }
}

/// Whether standard error is connected to the journal: `JOURNAL_STREAM` holds the device and
/// inode of the stream systemd connected, which must be the one standard error is now, and
/// journald must be listening (libsystemd drops entries silently when it is not).
enum JournalStream {
    static func isJournal(
        fd: Int32 = STDERR_FILENO,
        environment: [String: String],
        socketPath: String = "/run/systemd/journal/socket"
    ) -> Bool {
        guard access(socketPath, W_OK) == 0, let value = environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }
}
