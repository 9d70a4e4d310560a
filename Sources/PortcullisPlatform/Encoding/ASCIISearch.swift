/// Case-insensitive ASCII comparisons on UTF-8 bytes, without allocating: the header and
/// log-field checks that run on every request (`lowercased().contains(_:)` would allocate a
/// copy and go through Foundation's string bridge for each).
public enum ASCIISearch {
    /// Whether `fragment` (lower-case ASCII) occurs in `text`, ignoring ASCII case.
    public static func contains(_ text: some StringProtocol, _ fragment: StaticString) -> Bool {
        withBytes(text) { haystack in
            let needle = bytes(of: fragment)
            guard haystack.count >= needle.count else { return false }
            return (0...(haystack.count - needle.count)).contains { start in
                matches(haystack, at: start, needle)
            }
        }
    }

    /// Whether `text` equals `other` (lower-case ASCII), ignoring ASCII case.
    public static func equals(_ text: some StringProtocol, _ other: StaticString) -> Bool {
        withBytes(text) { bytes in bytes.count == other.utf8CodeUnitCount && matches(bytes, at: 0, Self.bytes(of: other)) }
    }

    /// Whether `text` starts with `prefix` (lower-case ASCII), ignoring ASCII case.
    public static func hasPrefix(_ text: some StringProtocol, _ prefix: StaticString) -> Bool {
        withBytes(text) { bytes in bytes.count >= prefix.utf8CodeUnitCount && matches(bytes, at: 0, Self.bytes(of: prefix)) }
    }

    /// Whether `text` ends with `suffix` (lower-case ASCII), ignoring ASCII case.
    public static func hasSuffix(_ text: some StringProtocol, _ suffix: StaticString) -> Bool {
        withBytes(text) { bytes in
            bytes.count >= suffix.utf8CodeUnitCount && matches(bytes, at: bytes.count - suffix.utf8CodeUnitCount, Self.bytes(of: suffix))
        }
    }

    /// The media type of a `Content-Type` value: what comes before any `;`, without the
    /// spaces and tabs around it. Found by bytes: `Character`-wise it cost a grapheme
    /// breaker per request.
    public static func mediaType(_ contentType: String) -> Substring {
        let utf8 = contentType.utf8
        var end = utf8.firstIndex(of: UInt8(ascii: ";")) ?? utf8.endIndex
        var start = utf8.startIndex
        while start < end, isSpaceOrTab(utf8[start]) { start = utf8.index(after: start) }
        while end > start, isSpaceOrTab(utf8[utf8.index(before: end)]) { end = utf8.index(before: end) }
        return contentType[start..<end]
    }

    /// Whether the comma-separated `list` (a `Vary` value, say) has an element equal to
    /// `element`, ignoring ASCII case and the spaces and tabs around each element.
    public static func listContains(_ list: String, _ element: String) -> Bool {
        withBytes(element) { wanted in
            withBytes(list) { bytes in
                var start = 0
                while start <= bytes.count {
                    var end = start
                    while end < bytes.count, bytes[end] != UInt8(ascii: ",") { end += 1 }
                    var from = start, to = end
                    while from < to, isSpaceOrTab(bytes[from]) { from += 1 }
                    while to > from, isSpaceOrTab(bytes[to - 1]) { to -= 1 }
                    if to - from == wanted.count, wanted.indices.allSatisfy({ lowered(bytes[from + $0]) == lowered(wanted[$0]) }) {
                        return true
                    }
                    start = end + 1
                }
                return false
            }
        }
    }

    private static func lowered(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }

    private static func isSpaceOrTab(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    private static func bytes(of text: StaticString) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
    }

    private static func matches(_ haystack: UnsafeBufferPointer<UInt8>, at start: Int, _ needle: UnsafeBufferPointer<UInt8>) -> Bool {
        needle.indices.allSatisfy { offset in
            lowered(haystack[start + offset]) == needle[offset]
        }
    }

    private static func withBytes(_ text: some StringProtocol, _ body: (UnsafeBufferPointer<UInt8>) -> Bool) -> Bool {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        return Array(text.utf8).withUnsafeBufferPointer(body)
    }
}
