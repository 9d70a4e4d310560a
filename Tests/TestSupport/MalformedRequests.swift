/// Requests no HTTP/1.1 server may accept, each with the status it must answer at once: the
/// shapes used to smuggle a second request past a proxy, heads that break RFC 9112's
/// grammar, bytes that are not HTTP at all, and a header section over the parser's limit.
public enum MalformedRequests {
    public struct Case: Sendable, CustomStringConvertible {
        public let name: String
        public let bytes: [UInt8]
        public let status: Int
        public var description: String { name }

        init(_ name: String, _ text: String, status: Int = 400) {
            self.init(name, Array(text.utf8), status: status)
        }

        init(_ name: String, _ bytes: [UInt8], status: Int = 400) {
            self.name = name
            self.bytes = bytes
            self.status = status
        }
    }

    /// The start of a TLS 1.2 ClientHello record, as a browser sends to `https://` on a plain port.
    static let clientHello: [UInt8] = [
        0x16, 0x03, 0x01, 0x00, 0x2f, 0x01, 0x00, 0x00, 0x2b, 0x03, 0x03,
    ] + [UInt8](repeating: 0x42, count: 32) + [0x00, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00]

    public static let all: [Case] = [
        Case("a header name with a space", "GET /healthz HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n"),
        Case("a control character in a header value", "GET /healthz HTTP/1.1\r\nHost: a\r\nX-Note: a\u{1}b\r\n\r\n"),
        Case("Content-Length and Transfer-Encoding together",
             "POST /users HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        Case("two different Content-Lengths", "POST /users HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde"),
        Case("a space before the colon", "POST /users HTTP/1.1\r\nHost: a\r\nContent-Length : 4\r\n\r\nabcd"),
        Case("a Content-Length that is not a number", "POST /users HTTP/1.1\r\nHost: a\r\nContent-Length: 4x\r\n\r\nabcd"),
        Case("a negative Content-Length", "POST /users HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"),
        Case("a chunk size that is not hex", "POST /users HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"),
        Case("a chunk size that overflows", "POST /users HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n"),
        Case("a Transfer-Encoding that does not end in chunked", "POST /users HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
        Case("a folded header line", "GET /healthz HTTP/1.1\r\nHost: a\r\nX-Note: a\r\n b\r\n\r\n"),
        Case("a request line without a version", "GET /healthz\r\nHost: a\r\n\r\n"),
        Case("a method with a separator in it", "GE(T /healthz HTTP/1.1\r\nHost: a\r\n\r\n"),
        Case("a TLS ClientHello on a plain port", clientHello),
        Case("a 100 KB header", "GET /healthz HTTP/1.1\r\nHost: a\r\nX-Big: " + String(repeating: "b", count: 100_000) + "\r\n\r\n", status: 431),
        Case("a thousand small headers over 80 KB",
             "GET /healthz HTTP/1.1\r\nHost: a\r\n" + (0..<1000).map { "X-H\($0): " + String(repeating: "v", count: 90) + "\r\n" }.joined() + "\r\n",
             status: 431),
    ]
}
