import Foundation

/// Base64 without padding, in the URL-safe alphabet (RFC 4648 §5) or the standard one.
enum Base64URL {
    static func encode(_ bytes: some Sequence<UInt8>, urlSafe: Bool = true) -> String {
        let text = Data(bytes).base64EncodedString().replacingOccurrences(of: "=", with: "")
        return urlSafe ? text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_") : text
    }

    /// Decodes either alphabet, padded or not; nil when it is not base64.
    static func decode(_ text: some StringProtocol) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
