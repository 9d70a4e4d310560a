import Foundation
import Synchronization

/// The built `portcullis` executable, run as a child process the way an operator runs it.
public enum PortcullisBinary {
    /// `PORTCULLIS_BINARY` when set, else the `portcullis` built next to the test bundle.
    public static var path: String {
        if let explicit = ProcessInfo.processInfo.environment["PORTCULLIS_BINARY"] { return explicit }
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return bundle.appendingPathComponent("portcullis").path
    }

    /// The outcome of a command that runs to completion.
    public struct Outcome: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// Runs `portcullis ARGS` to completion with exactly `environment`, in `directory`, with
    /// `input` (if any) on its standard input.
    public static func run(
        _ arguments: [String], environment: [String: String], in directory: String, input: String? = nil
    ) async throws -> Outcome {
        try await runCommand([path] + arguments, environment: environment, in: directory, input: input)
    }

    /// Runs any command to completion with exactly `environment`, in `directory`.
    /// Output goes to files, so no pipe end can be held open by another test's server.
    public static func runCommand(
        _ command: [String], environment: [String: String], in directory: String, input: String? = nil
    ) async throws -> Outcome {
        let capture = try TemporaryDirectory()
        defer { capture.remove() }
        let stdin = try input.map { try capture.write("stdin", $0) } ?? "/dev/null"
        let outPath = capture.path + "/stdout"
        let errPath = capture.path + "/stderr"
        let out = open(outPath, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        let err = open(errPath, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        defer {
            close(out)
            close(err)
        }
        let child = try ChildProcess(command, environment: environment, directory: directory, stdout: out, stderr: err, stdin: stdin)
        let status = try await child.waitForExit()
        return Outcome(
            status: status,
            stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        )
    }
}

/// A running `portcullis serve` whose standard error is collected line by line.
public final class ServeProcess: Sendable {
    /// Standard error, split into lines as it arrives, each JSON line parsed once on arrival
    /// (on the reading thread), so tests that poll the records do not parse the log again and
    /// again on the concurrency runtime's few threads.
    final class LineCollector: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        private var records: [[String: Any]] = []
        private var partial = ""

        func append(_ chunk: String) {
            lock.lock()
            defer { lock.unlock() }
            partial += chunk
            var parts = partial.components(separatedBy: "\n")
            partial = parts.removeLast()
            lines.append(contentsOf: parts)
            records += parts.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
        }

        var allLines: [String] {
            lock.lock()
            defer { lock.unlock() }
            return lines
        }

        var allRecords: [[String: Any]] {
            lock.lock()
            defer { lock.unlock() }
            return records
        }
    }

    private let child: ChildProcess
    private let collector = LineCollector()

    /// Runs `portcullis serve ARGUMENTS`.
    public convenience init(_ arguments: [String], environment: [String: String], in directory: String) throws {
        try self.init(command: [PortcullisBinary.path, "serve"] + arguments, environment: environment, in: directory)
    }

    /// Runs any command that ends up as `portcullis serve` (such as `systemd-socket-activate … portcullis serve`).
    public init(command: [String], environment: [String: String], in directory: String) throws {
        let (readEnd, writeEnd) = try closeOnExecPipe()
        let devNull = open("/dev/null", O_WRONLY | O_CLOEXEC)
        defer {
            close(writeEnd)
            close(devNull)
        }
        child = try ChildProcess(command, environment: environment, directory: directory, stdout: devNull, stderr: writeEnd)
        let collector = self.collector
        Thread {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = read(readEnd, &buffer, buffer.count)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                collector.append(String(decoding: buffer[0..<count], as: UTF8.self))
            }
            close(readEnd)
        }.start()
    }

    public var pid: Int32 { child.pid }

    /// Every complete line written to standard error so far.
    public var stderrLines: [String] { collector.allLines }

    /// The lines that are JSON objects, parsed.
    public var records: [[String: Any]] { collector.allRecords }

    /// Waits for the `listening` log line and returns the port it names.
    public func waitForPort(timeout: Duration = .seconds(30)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let record = records.first(where: { $0["msg"] as? String == "listening" }),
                let address = record["address"] as? String, let port = address.split(separator: ":").last.flatMap({ Int($0) })
            {
                return port
            }
            if !child.isRunning { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ProcessFailure(description: "serve did not report a listening address; stderr:\n" + stderrLines.joined(separator: "\n"))
    }

    public func signal(_ number: Int32) {
        child.signal(number)
    }

    /// Waits for the process to exit and returns its status.
    public func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32 {
        let status = try await child.waitForExit(timeout: timeout)
        try await Task.sleep(for: .milliseconds(50))
        return status
    }

    deinit {
        child.signal(SIGKILL)
    }
}

public struct ProcessFailure: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}

/// The environment the integration tests run `serve` with: the testing profile, JSON logs,
/// state in `directory`, and `extra` on top.
public func serveEnvironment(_ directory: TemporaryDirectory, _ extra: [String: String] = [:]) -> [String: String] {
    var environment = [
        "PATH": "/usr/bin:/bin",
        "PORTCULLIS_PROFILE": "testing",
        "PORTCULLIS_SERVER_STATE_DIR": directory.path + "/state",
        "PORTCULLIS_LOG_FORMAT": "json",
    ]
    environment.merge(extra) { $1 }
    return environment
}

/// The command that runs `portcullis` with `arguments` under `systemd-socket-activate`: the
/// socket (named `http`) listens on 127.0.0.1:`port` and starts the server on the first
/// connection, with `environment`.
public func socketActivated(port: Int, environment: [String: String], _ arguments: [String]) -> [String] {
    ["/usr/bin/systemd-socket-activate", "-l", "127.0.0.1:\(port)", "--fdname=http"]
        + environment.map { "-E" + $0.key + "=" + $0.value }
        + [PortcullisBinary.path] + arguments
}
