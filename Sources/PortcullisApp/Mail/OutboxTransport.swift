import Foundation
import Glibc
import NIOPosix
import PortcullisJobs

/// The default transport: each message is a file `<job id>.eml` in `<state_dir>/outbox`, for
/// an operator's tool (or a relay) to pick up. The file appears whole or not at all: it is
/// written and synced under a temporary dot-name, then linked into place, and a job delivered
/// twice finds its file there and leaves it alone.
struct OutboxTransport: MailTransport {
    let directory: String

    func deliver(_ message: MailMessage, jobID: Int64) async throws {
        let bytes = message.rendered(.crlf)
        let directory = self.directory
        try await NIOThreadPool.singleton.runIfActive {
            try Self.write(bytes, to: "\(directory)/\(jobID).eml", directory: directory)
        }
    }

    private static func write(_ bytes: [UInt8], to path: String, directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        let temporary = "\(directory)/.\(UUID().uuidString).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw failure("cannot create a file in the outbox") }
        defer { unlink(temporary) }
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                close(fd)
                throw failure("cannot write to the outbox")
            }
            written += count
        }
        guard fsync(fd) == 0, close(fd) == 0 else { throw failure("cannot write to the outbox") }
        if link(temporary, path) != 0 && errno != EEXIST { throw failure("cannot move a message into the outbox") }
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }

    /// The error a job records: what failed and the system's reason, without the path.
    private static func failure(_ what: String) -> JobFailure {
        JobFailure("\(what): \(String(cString: strerror(errno)))")
    }
}
