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

    public init(label: String, format: LogFormat, level: Logger.Level, sink: any LogSink, redactor: LogRedactor, worker: Int? = nil) {
        self.label = label
        self.format = format
        self.logLevel = level
        self.sink = sink
        self.redactor = redactor
        self.worker = worker
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
        log(level: event.level, message: event.message.description, sortedFields: fields.sorted { $0.key < $1.key })
    }

    /// A field of a line written with ``log(level:message:sortedFields:)``.
    public typealias Field = (key: String, value: Logger.MetadataValue)

    /// Writes one event whose fields the caller already has in key order, without the
    /// metadata dictionary swift-log builds: the access log's path, once per request. The
    /// handler's own metadata and provider are not added; the level is not checked.
    public func log(level: Logger.Level, message: String, sortedFields: [Field]) {
        var fields = sortedFields
        for index in fields.indices {
            if let clean = redactor.redacted(field: fields[index].key, fields[index].value) { fields[index].value = clean }
        }
        let text = redactor.scrub(message)
        switch format {
        case .json: sink.write(line: jsonLine(level: level, message: text, fields: fields))
        case .text: sink.write(line: textLine(level: level, message: text, fields: fields))
        case .journal:
            let dictionary = Logger.Metadata(fields, uniquingKeysWith: { first, _ in first })
            let entry = JournalEntry(level: level, message: text, logger: label, worker: worker, fields: dictionary)
            if !entry.send() { sink.write(line: jsonLine(level: level, message: text, fields: fields)) }
        }
    }

    private func jsonLine(level: Logger.Level, message: String, fields: [Field]) -> String {
        var out = ""
        out.reserveCapacity(384)
        out += "{\"ts\":\""
        out += RFC3339.now()
        out += "\",\"level\":\""
        out += level.rawValue
        out += "\",\"msg\":"
        JSONText.appendString(message, to: &out)
        out += ",\"logger\":"
        JSONText.appendString(label, to: &out)
        out += ",\"pid\":"
        out += Self.pid
        if let worker { out += ",\"worker\":\(worker)" }
        if let requestID = fields.first(where: { $0.key == "request_id" }) {
            out += ",\"request_id\":"
            JSONText.append(requestID.value, to: &out)
        }
        for (key, value) in fields where !Self.isReserved(key) {
            out += ","
            JSONText.appendString(key, to: &out)
            out += ":"
            JSONText.append(value, to: &out)
        }
        out += "}\n"
        return out
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

/// JSON text for log lines, written by hand: one pass, no intermediate objects.
enum JSONText {
    /// A field value as plain text: strings unquoted, everything else as JSON.
    static func plain(_ value: Logger.MetadataValue) -> String {
        if case .string(let text) = value { return text }
        var out = ""
        append(value, to: &out)
        return out
    }

    static func appendString(_ text: String, to out: inout String) {
        out += "\""
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out += text
            out += "\""
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    static func append(_ value: Logger.MetadataValue, to out: inout String) {
        switch value {
        case .string(let text): appendString(text, to: &out)
        case .stringConvertible(let convertible):
            switch convertible {
            case let number as Int: out += String(number)
            case let number as Double where number.isFinite: out += String(number)
            case let flag as Bool: out += flag ? "true" : "false"
            default: appendString(convertible.description, to: &out)
            }
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                append(item, to: &out)
            }
            out += "]"
        case .dictionary(let members):
            out += "{"
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { out += "," }
                appendString(key, to: &out)
                out += ":"
                if let member = members[key] { append(member, to: &out) }
            }
            out += "}"
        }
    }
}
