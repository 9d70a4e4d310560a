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

    /// Runs `portcullis ARGS` to completion with exactly `environment`, in `directory`.
    public static func run(_ arguments: [String], environment: [String: String], in directory: String) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }
}

/// A running `portcullis serve` whose standard error is collected line by line.
public final class ServeProcess: @unchecked Sendable {
    /// Standard error, split into lines as it arrives.
    final class LineCollector: Sendable {
        let lines = Mutex<[String]>([])
        private let partial = Mutex("")

        func append(_ chunk: String) {
            let complete: [String] = partial.withLock { buffer in
                buffer += chunk
                var parts = buffer.components(separatedBy: "\n")
                buffer = parts.removeLast()
                return parts
            }
            lines.withLock { $0.append(contentsOf: complete) }
        }
    }

    private let process: Process
    private let collector = LineCollector()

    /// Runs `portcullis serve ARGUMENTS`.
    public convenience init(_ arguments: [String], environment: [String: String], in directory: String) throws {
        try self.init(command: [PortcullisBinary.path, "serve"] + arguments, environment: environment, in: directory)
    }

    /// Runs any command that ends up as `portcullis serve` (such as `systemd-socket-activate … portcullis serve`).
    public init(command: [String], environment: [String: String], in directory: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        self.process = process
        try process.run()
        // A plain reader thread: FileHandle's readabilityHandler crashes libdispatch on Linux
        // when the pipe closes while a handler is installed.
        let collector = self.collector
        let handle = pipe.fileHandleForReading
        Thread {
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                collector.append(String(decoding: data, as: UTF8.self))
            }
        }.start()
    }

    public var pid: Int32 { process.processIdentifier }

    /// Every complete line written to standard error so far.
    public var stderrLines: [String] { collector.lines.withLock { $0 } }

    /// The lines parsed as JSON objects.
    public var records: [[String: Any]] {
        stderrLines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
    }

    /// Waits for the `listening` log line and returns the port it names.
    public func waitForPort(timeout: Duration = .seconds(30)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let record = records.first(where: { $0["msg"] as? String == "listening" }),
                let address = record["address"] as? String, let port = address.split(separator: ":").last.flatMap({ Int($0) })
            {
                return port
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ProcessFailure(description: "serve did not report a listening address; stderr:\n" + stderrLines.joined(separator: "\n"))
    }

    public func signal(_ number: Int32) {
        kill(process.processIdentifier, number)
    }

    /// Waits for the process to exit and returns its status.
    public func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                process.terminate()
                throw ProcessFailure(description: "serve did not exit in time")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Task.sleep(for: .milliseconds(50))
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

public struct ProcessFailure: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}
