import Foundation
import Glibc

/// The master's control socket (`server.control_socket`), where `portcullis status` and
/// `portcullis reload` ask the running master. An asker sends one line, `status` or `reload`,
/// and gets one JSON object back, after which the master closes the connection. The socket is
/// mode 0660 in a directory of the service's user: that user and root may ask.
final class ControlServer: Sendable {
    /// What an asker may send.
    enum Command: String, Sendable {
        case status, reload
    }

    struct OpenError: Error, CustomStringConvertible {
        let description: String
    }

    let path: String
    private let descriptor: Int32

    /// Binds `path`, creating its directory (0750) when missing. A socket file left by a
    /// master that is gone is replaced; one a live master answers on is not.
    init(path: String) throws(OpenError) {
        guard path.utf8.count <= UnixAddress.maximumPathBytes else {
            throw OpenError(description: "cannot open the control socket \(path): longer than \(UnixAddress.maximumPathBytes) bytes")
        }
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        if let live = UnixAddress.connect(to: path) {
            Glibc.close(live)
            throw OpenError(description: "cannot open the control socket \(path): another master answers on it")
        }
        do {
            descriptor = try ListeningSocket.bind(.unix(path: path)).descriptor
        } catch {
            throw OpenError(description: "cannot open the control socket: \(error)")
        }
        self.path = path
    }

    /// Accepts on a thread of its own until ``close()``; each asker becomes a `command` event.
    func serve(events: AsyncStream<Master.Event>.Continuation) {
        let descriptor = self.descriptor
        let thread = Thread {
            while true {
                let client = accept(descriptor, nil, nil)
                if client < 0 {
                    if errno == EINTR || errno == ECONNABORTED { continue }
                    break
                }
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                var timeout = timeval(tv_sec: 2, tv_usec: 0)
                setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                let reply = ControlReply(fd: client)
                guard let command = Self.readLine(client).flatMap(Command.init(rawValue:)) else {
                    reply.send(ControlRefusal(error: "unknown command: send status or reload, then a newline"))
                    continue
                }
                events.yield(.command(command, reply))
            }
            Glibc.close(descriptor)
        }
        thread.name = "portcullis-control"
        thread.start()
    }

    /// Stops accepting and removes the socket file; askers still waiting get their answers.
    func close() {
        shutdown(descriptor, Int32(SHUT_RDWR))
        unlink(path)
    }

    /// The first line an asker sends, without its newline; nil when it sends none within the
    /// timeout or more than 64 bytes.
    private static func readLine(_ fd: Int32) -> String? {
        var line: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64)
        while line.count <= 64 {
            let count = read(fd, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return nil }
            line += buffer[0..<count]
            if let end = line.firstIndex(of: 0x0a) { return String(decoding: line[..<end], as: UTF8.self) }
        }
        return nil
    }
}

/// One asker on the control socket, answered once and then closed.
final class ControlReply: Sendable {
    private let fd: Int32

    init(fd: Int32) { self.fd = fd }

    func send(_ answer: some Encodable) {
        let bytes = ControlJSON.encode(answer) + [0x0a]
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            sent += count
        }
        close(fd)
    }
}
