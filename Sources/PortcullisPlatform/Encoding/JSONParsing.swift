extension JSONValue {
    /// Why a text is not a JSON value this reader accepts.
    public enum ParseError: Error, Equatable {
        /// Not well-formed JSON (RFC 8259), or not UTF-8.
        case malformed
        /// Arrays and objects nest deeper than the limit.
        case tooDeep
    }

    /// Reads one JSON text (RFC 8259, strictly: no comments, no trailing commas, no BOM,
    /// UTF-8 only, lone surrogates refused). A number whose value is a whole number that fits
    /// in `Int` reads as `.int` (`1e3` too, as `JSONDecoder` reads it), any other as `.double`;
    /// of a repeated object key the last value is kept.
    ///
    /// Request bodies, WebSocket frames and stored job payloads come through here, in one pass
    /// that knows each value's type from its first byte (where `JSONDecoder` into a
    /// `JSONValue` would try one type after another and throw for each wrong guess).
    /// - Parameter maxDepth: the deepest nesting of arrays and objects accepted; the reader
    ///   recurses once per level, so an attacker's 100 000-deep array is refused, not followed.
    public init(parsing bytes: some Collection<UInt8>, maxDepth: Int = 128) throws(ParseError) {
        let read = { (buffer: UnsafeBufferPointer<UInt8>) in
            Result { () throws(ParseError) in
                var reader = JSONReader(bytes: buffer, maxDepth: maxDepth)
                return try reader.document()
            }
        }
        self = try (bytes.withContiguousStorageIfAvailable(read) ?? Array(bytes).withUnsafeBufferPointer(read)).get()
    }
}

/// The recursive-descent reader behind ``JSONValue/init(parsing:maxDepth:)``.
private struct JSONReader {
    typealias Failure = JSONValue.ParseError

    let bytes: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    mutating func document() throws(Failure) -> JSONValue {
        let value = try value(depth: 0)
        skipSpace()
        guard index == bytes.count else { throw .malformed }
        return value
    }

    private var next: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipSpace() {
        while let byte = next, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    private mutating func value(depth: Int) throws(Failure) -> JSONValue {
        skipSpace()
        guard let byte = next else { throw .malformed }
        switch byte {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw .malformed
        }
    }

    private mutating func object(depth: Int) throws(Failure) -> JSONValue {
        var members: [String: JSONValue] = [:]
        try elements(depth: depth, closedBy: UInt8(ascii: "}")) { reader throws(Failure) in
            reader.skipSpace()
            guard reader.next == UInt8(ascii: "\"") else { throw .malformed }
            let key = try reader.string()
            reader.skipSpace()
            guard reader.next == UInt8(ascii: ":") else { throw .malformed }
            reader.index += 1
            members[key] = try reader.value(depth: depth)
        }
        return .object(members)
    }

    private mutating func array(depth: Int) throws(Failure) -> JSONValue {
        var items: [JSONValue] = []
        try elements(depth: depth, closedBy: UInt8(ascii: "]")) { reader throws(Failure) in
            items.append(try reader.value(depth: depth))
        }
        return .array(items)
    }

    /// The comma-separated elements of an array or object, its opening bracket at `index`,
    /// each read by `element`, up to and including `close`.
    private mutating func elements(depth: Int, closedBy close: UInt8, _ element: (inout JSONReader) throws(Failure) -> Void) throws(Failure) {
        guard depth <= maxDepth else { throw .tooDeep }
        index += 1
        skipSpace()
        if next == close {
            index += 1
            return
        }
        while true {
            try element(&self)
            skipSpace()
            guard let byte = next, byte == UInt8(ascii: ",") || byte == close else { throw .malformed }
            index += 1
            if byte == close { return }
        }
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count,
              (0..<count).allSatisfy({ bytes[index + $0] == word.utf8Start[$0] })
        else { throw .malformed }
        index += count
    }

    private mutating func number() throws(Failure) -> JSONValue {
        let start = index
        if next == UInt8(ascii: "-") { index += 1 }
        guard let first = next, isDigit(first) else { throw .malformed }
        index += 1
        if first != UInt8(ascii: "0") { skipDigits() }
        var integral = true
        if next == UInt8(ascii: ".") {
            integral = false
            index += 1
            try requireDigits()
        }
        if next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
            integral = false
            index += 1
            if next == UInt8(ascii: "+") || next == UInt8(ascii: "-") { index += 1 }
            try requireDigits()
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if integral, let value = Int(text) { return .int(value) }
        guard let value = Double(text), value.isFinite else { throw .malformed }
        return Int(exactly: value).map(JSONValue.int) ?? .double(value)
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private mutating func skipDigits() {
        while let byte = next, isDigit(byte) { index += 1 }
    }

    private mutating func requireDigits() throws(Failure) {
        guard let byte = next, isDigit(byte) else { throw .malformed }
        skipDigits()
    }

    /// A string, its opening quote at `index`. Most have no escapes and are taken whole.
    private mutating func string() throws(Failure) -> String {
        index += 1
        let start = index
        while let byte = next, byte != UInt8(ascii: "\\") {
            if byte == UInt8(ascii: "\"") {
                defer { index += 1 }
                return try text(UnsafeBufferPointer(rebasing: bytes[start..<index]))
            }
            guard byte >= 0x20 else { throw .malformed }
            index += 1
        }
        var unescaped = Array(bytes[start..<index])
        while let byte = next {
            index += 1
            switch byte {
            case UInt8(ascii: "\""): return try unescaped.withUnsafeBufferPointer { buffer throws(Failure) in try text(buffer) }
            case UInt8(ascii: "\\"): try escape(into: &unescaped)
            case ..<0x20: throw .malformed
            default: unescaped.append(byte)
            }
        }
        throw .malformed
    }

    private func text(_ utf8: UnsafeBufferPointer<UInt8>) throws(Failure) -> String {
        guard let text = String(validating: utf8, as: UTF8.self) else { throw .malformed }
        return text
    }

    /// One escape, its backslash just read.
    private mutating func escape(into unescaped: inout [UInt8]) throws(Failure) {
        guard let byte = next else { throw .malformed }
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): unescaped.append(byte)
        case UInt8(ascii: "b"): unescaped.append(0x08)
        case UInt8(ascii: "f"): unescaped.append(0x0C)
        case UInt8(ascii: "n"): unescaped.append(0x0A)
        case UInt8(ascii: "r"): unescaped.append(0x0D)
        case UInt8(ascii: "t"): unescaped.append(0x09)
        case UInt8(ascii: "u"):
            let scalar = try unicodeEscape()
            UTF8.encode(scalar) { unescaped.append($0) }
        default: throw .malformed
        }
    }

    /// `XXXX` after `\u`, or a surrogate pair `XXXX\uXXXX`.
    private mutating func unicodeEscape() throws(Failure) -> Unicode.Scalar {
        let first = try hexQuad()
        guard (0xD800..<0xDC00).contains(first) else {
            guard let scalar = Unicode.Scalar(first) else { throw .malformed }
            return scalar
        }
        guard next == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else { throw .malformed }
        index += 2
        let second = try hexQuad()
        guard (0xDC00..<0xE000).contains(second),
              let scalar = Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))
        else { throw .malformed }
        return scalar
    }

    private mutating func hexQuad() throws(Failure) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = next else { throw .malformed }
            index += 1
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw .malformed
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }
}
