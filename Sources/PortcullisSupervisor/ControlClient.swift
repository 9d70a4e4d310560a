import Glibc

/// Asks a running master on its control socket: what `portcullis status` and
/// `portcullis reload` do.
public enum ControlClient {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// What the master knows now.
    public static func status(socket: String) throws(Failure) -> MasterStatus {
        let answer = try ask("status", socket: socket, timeout: .seconds(10))
        guard let status = ControlJSON.decode(MasterStatus.self, from: answer) else { throw unreadable(answer) }
        return status
    }

    /// Asks for a reload and waits, at most `timeout`, for its outcome.
    public static func reload(socket: String, timeout: Duration) throws(Failure) -> ReloadReport {
        let answer = try ask("reload", socket: socket, timeout: timeout)
        guard let report = ControlJSON.decode(ReloadReport.self, from: answer) else { throw unreadable(answer) }
        return report
    }

    private static func ask(_ command: String, socket path: String, timeout: Duration) throws(Failure) -> [UInt8] {
        guard let fd = UnixAddress.connect(to: path) else {
            let reason = String(cString: strerror(errno))
            switch errno {
            case ENOENT, ECONNREFUSED:
                throw Failure(description: "no master answers on \(path) (\(reason)): is portcullis running, with this server.control_socket?")
            case EACCES:
                throw Failure(description: "may not connect to \(path) (\(reason)): run as root or as the service's user")
            default:
                throw Failure(description: "cannot connect to \(path): \(reason)")
            }
        }
        defer { close(fd) }
        let seconds = max(1, Int(timeout.components.seconds))
        var limit = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        let request = Array((command + "\n").utf8)
        guard request.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == request.count else {
            throw Failure(description: "cannot ask the master on \(path): \(String(cString: strerror(errno)))")
        }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while answer.count < 16 << 20 {
            let count = read(fd, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                throw Failure(description: "the master on \(path) did not answer within \(seconds) s")
            }
            guard count > 0 else { break }
            answer += buffer[0..<count]
        }
        guard !answer.isEmpty else {
            throw Failure(description: "the master on \(path) closed the connection without an answer (is it stopping?)")
        }
        return answer
    }

    private static func unreadable(_ answer: [UInt8]) -> Failure {
        if let refusal = ControlJSON.decode(ControlRefusal.self, from: answer) {
            return Failure(description: "the master refused: \(refusal.error)")
        }
        return Failure(description: "the master's answer is not what this build expects: \(String(decoding: answer.prefix(200), as: UTF8.self))")
    }
}
