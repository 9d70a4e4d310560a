public import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The swift-log handler of every Portcullis process: one JSON object per line (production)
/// or readable text (development), with `ts`, `level`, `msg`, `logger`, `pid`, `worker`,
/// `request_id` and the event's fields, secrets scrubbed.
public struct StructuredLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    let label: String
    let format: LogFormat
    let sink: any LogSink
    let redactor: LogRedactor
    /// The worker's index; nil in the master and in single-process tools.
    let worker: Int?
    /// `,"logger":…,"pid":…` and `,"worker":…` as JSON: the same on every line of this handler.
    let identity: [UInt8]

    public init(label: String, format: LogFormat, level: Logger.Level, sink: any LogSink, redactor: LogRedactor, worker: Int? = nil) {
        self.label = label
        self.format = format
        self.logLevel = level
        self.sink = sink
        self.redactor = redactor
        self.worker = worker
        var identity = JSONWriter(capacity: 64)
        identity.raw(",\"logger\":")
        identity.string(label)
        identity.raw(",\"pid\":")
        identity.verbatim(Self.pid)
        if let worker {
            identity.raw(",\"worker\":")
            identity.integer(worker)
        }
        self.identity = identity.bytes
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        // The event's own fields win over the provider's, which win over the handler's.
        var fields = event.metadata ?? [:]
        if let provided = metadataProvider?.get(), !provided.isEmpty { fields.merge(provided) { explicit, _ in explicit } }
        if !metadata.isEmpty { fields.merge(metadata) { explicit, _ in explicit } }
        if let error = event.error { fields["error"] = .string("\(error)") }
        for (key, value) in fields {
            if let clean = redactor.redacted(field: key, value) { fields[key] = clean }
        }
        write(level: event.level, message: redactor.scrub(event.message.description), fields: fields.sorted { $0.key < $1.key })
    }

    /// A value of ``log(level:message:requestID:fields:)``: text or a number, without
    /// swift-log's existential `stringConvertible`.
    public enum FieldValue: Sendable {
        case text(String)
        case integer(Int)
        case number(Double)

        var metadataValue: Logger.MetadataValue {
            switch self {
            case .text(let text): .string(text)
            case .integer(let number): .stringConvertible(number)
            case .number(let number): .stringConvertible(number)
            }
        }
    }

    /// A field of ``log(level:message:requestID:fields:)``: a constant name and its value. A
    /// struct, not a `KeyValuePairs` tuple, so copying and releasing the list needs no generic
    /// tuple witnesses.
    public struct TypedField: Sendable {
        public let name: StaticString
        let value: FieldValue

        public init(_ name: StaticString, _ value: FieldValue) {
            self.name = name
            self.value = value
        }
    }

    /// Writes one event whose fields the caller names with constants, in key order, without
    /// swift-log's metadata dictionary: the access log's path, once per request. The handler's
    /// own metadata and provider are not added, and the level is not checked. The names are
    /// not searched for credentials (they are the caller's constants; debug builds assert it);
    /// text values are searched for secret values like every other field.
    public func log(level: Logger.Level, message: String, requestID: String, fields: [TypedField]) {
        assert(!fields.contains { LogRedactor.isSensitive(field: "\($0.name)") || Self.isReserved("\($0.name)") })
        guard format == .json else {
            let general = (fields.map { (key: "\($0.name)", value: $0.value.metadataValue) } + [("request_id", .string(requestID))])
                .map { (key: $0.key, value: redactor.scrub(field: $0.key, $0.value)) }
            write(level: level, message: redactor.scrub(message), fields: general.sorted { $0.key < $1.key })
            return
        }
        var line = lineStart(level: level, message: redactor.scrub(message))
        line.raw(",\"request_id\":")
        line.string(redactor.scrub(requestID))
        for field in fields {
            line.raw(",\"")
            line.raw(field.name)
            line.raw("\":")
            switch field.value {
            case .text(let text): line.string(redactor.scrub(text))
            case .integer(let number): line.integer(number)
            case .number(let number) where number.isFinite: line.number(number)
            case .number(let number): line.string(String(number))
            }
        }
        line.raw("}\n")
        sink.write(utf8: line.bytes)
    }

    /// A field of a general line, its secrets already scrubbed.
    private typealias Field = (key: String, value: Logger.MetadataValue)

    private func write(level: Logger.Level, message: String, fields: [Field]) {
        switch format {
        case .json: sink.write(line: jsonLine(level: level, message: message, fields: fields))
        case .text: sink.write(line: textLine(level: level, message: message, fields: fields))
        case .journal:
            let dictionary = Logger.Metadata(fields, uniquingKeysWith: { first, _ in first })
            let entry = JournalEntry(level: level, message: message, logger: label, worker: worker, fields: dictionary)
            if !entry.send() { sink.write(line: jsonLine(level: level, message: message, fields: fields)) }
        }
    }

    /// `ts`, `level`, `msg`, `logger`, `pid` and `worker`: what every JSON line starts with.
    private func lineStart(level: Logger.Level, message: String) -> JSONWriter {
        var line = JSONWriter()
        line.raw("{\"ts\":\"")
        line.verbatim(RFC3339.now())
        line.raw("\",\"level\":\"")
        line.verbatim(level.rawValue)
        line.raw("\",\"msg\":")
        line.string(message)
        line.append(identity)
        return line
    }

    private func jsonLine(level: Logger.Level, message: String, fields: [Field]) -> String {
        var line = lineStart(level: level, message: message)
        if let requestID = fields.first(where: { $0.key == "request_id" }) {
            line.raw(",\"request_id\":")
            line.value(requestID.value)
        }
        for (key, value) in fields where !Self.isReserved(key) {
            line.raw(",")
            line.string(key)
            line.raw(":")
            line.value(value)
        }
        line.raw("}\n")
        return line.text
    }

    /// This process's ID as text: the same on every line, and `getpid` is a system call.
    private static let pid = String(getpid())

    /// Whether the handler writes this key itself; a field of the same name is dropped so
    /// every line is a JSON object with unique keys. (A `switch` compares the short keys
    /// directly; a `Set` would hash every field of every line.)
    static func isReserved(_ key: String) -> Bool {
        switch key {
        case "ts", "level", "msg", "logger", "pid", "worker", "request_id": true
        default: false
        }
    }

    private func textLine(level: Logger.Level, message: String, fields: [Field]) -> String {
        var out = "\(RFC3339.now()) \(level.rawValue.uppercased()) [\(label)] \(message)"
        for (key, value) in fields { out += " \(key)=\(value)" }
        out += "\n"
        return out
    }
}
