import Foundation

/// A plain-text email, rendered as an RFC 5322 message: ASCII headers (a subject that is not
/// printable ASCII goes as RFC 2047 encoded words, so no header can be injected through it),
/// a UTF-8 body sent as 8-bit, or as base64 when a line is longer than the 998 octets RFC 5322 allows.
struct MailMessage: Sendable, Equatable {
    var from: String
    var to: String
    var subject: String
    var body: String
    /// Without angle brackets; stable across retries, so a receiving system can drop a duplicate.
    var messageID: String
    var date: Date

    enum LineEnding: String {
        /// RFC 5322 on disk and on the wire.
        case crlf = "\r\n"
        /// What a local `sendmail` expects on its standard input.
        case lf = "\n"
    }

    func rendered(_ ending: LineEnding) -> [UInt8] {
        let lines = body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false)
        let longLine = lines.contains { $0.utf8.count > 998 }
        var headers = [
            "From: \(Self.headerSafe(from))",
            "To: \(Self.headerSafe(to))",
            "Subject: \(Self.encodedSubject(subject, newline: ending.rawValue))",
            "Date: \(Self.dateFormatter.string(from: date))",
            "Message-ID: <\(Self.headerSafe(messageID))>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
        ]
        let bodyLines: [String]
        if longLine {
            headers.append("Content-Transfer-Encoding: base64")
            let encoded = Data(lines.joined(separator: "\r\n").utf8).base64EncodedString()
            bodyLines = stride(from: 0, to: encoded.count, by: 76).map { offset in
                let start = encoded.index(encoded.startIndex, offsetBy: offset)
                return String(encoded[start..<(encoded.index(start, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex)])
            }
        } else {
            headers.append("Content-Transfer-Encoding: 8bit")
            bodyLines = lines.map(String.init)
        }
        let text = (headers + [""] + bodyLines).joined(separator: ending.rawValue) + ending.rawValue
        return Array(text.utf8)
    }

    /// Header values come from validated fields and the configuration; line breaks and other
    /// control characters are dropped all the same.
    private static func headerSafe(_ value: String) -> String {
        String(String.UnicodeScalarView(value.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }))
    }

    /// The subject as it is when it is printable ASCII, else as encoded words of at most 75
    /// characters each, on folded lines.
    static func encodedSubject(_ subject: String, newline: String) -> String {
        if subject.unicodeScalars.allSatisfy({ (0x20...0x7E).contains($0.value) }), subject.utf8.count <= 900 {
            return subject
        }
        var words: [[UInt8]] = []
        var chunk: [UInt8] = []
        for scalar in subject.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if chunk.count + bytes.count > 45 {
                words.append(chunk)
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append(chunk) }
        return words.map { "=?UTF-8?B?\(Data($0).base64EncodedString())?=" }.joined(separator: newline + " ")
    }

    private static let dateFormatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 0)
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter
    }()
}
