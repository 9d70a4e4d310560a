import Foundation
public import Logging

/// Builds the process's loggers from the configuration, so every part logs the same way.
public struct LoggerFactory: Sendable {
    public let format: LogFormat
    public let level: Logger.Level
    public let sink: any LogSink
    /// Where access lines go: `sink` unless told otherwise.
    public let accessSink: any LogSink
    public let redactor: LogRedactor
    public let worker: Int?

    /// - Parameter journal: whether standard error is the systemd journal; then entries go to
    ///   the journal with structured fields instead of lines.
    public init(
        config: PortcullisConfig, sink: any LogSink = StandardErrorSink(), accessSink: (any LogSink)? = nil, worker: Int? = nil,
        journal: Bool = false
    ) {
        self.format = journal ? .journal : config.log.format
        self.level = Logger.Level(rawValue: config.log.level) ?? .info
        self.sink = sink
        self.accessSink = accessSink ?? sink
        self.redactor = LogRedactor(secrets: config.secrets)
        self.worker = worker
    }

    /// The loggers of a running `serve` or `worker` process: to the journal when systemd
    /// connected standard error to it, else lines on standard error, access lines in batches.
    public static func forThisProcess(config: PortcullisConfig, worker: Int? = nil) -> LoggerFactory {
        LoggerFactory(
            config: config, accessSink: BatchedSink(), worker: worker,
            journal: JournalStream.isJournal(environment: ProcessInfo.processInfo.environment)
        )
    }

    /// Writes the access lines still held back; a worker calls it when it stops serving.
    public func flush() {
        accessSink.flush()
    }

    /// A logger for one part of the product, named like `portcullis.http`.
    public func logger(_ label: String) -> Logger {
        Logger(label: label, factory: { handler(label: $0) })
    }

    /// Makes this factory the process-wide default for libraries that create their own loggers.
    public func bootstrapProcess() {
        LoggingSystem.bootstrap { handler(label: $0) }
    }

    /// The handler of the access log (`portcullis.access`), writing to ``accessSink``.
    public func accessHandler() -> StructuredLogHandler {
        StructuredLogHandler(label: "portcullis.access", format: format, level: level, sink: accessSink, redactor: redactor, worker: worker)
    }

    private func handler(label: String) -> StructuredLogHandler {
        StructuredLogHandler(label: label, format: format, level: level, sink: sink, redactor: redactor, worker: worker)
    }
}
