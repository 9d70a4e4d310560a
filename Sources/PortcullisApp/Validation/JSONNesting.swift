/// How deeply a JSON text nests, found by one pass over its bytes before anything decodes it,
/// so a 100 000-deep array costs a scan and a 400, never a deep recursion.
enum JSONNesting {
    /// The deepest nesting `body` may have; our bodies need 2.
    static let limit = 32

    /// Whether `bytes` nest deeper than `limit` arrays and objects (brackets inside strings do not count).
    static func exceedsLimit(_ bytes: some Sequence<UInt8>) -> Bool {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > limit { return true }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return false
    }
}
