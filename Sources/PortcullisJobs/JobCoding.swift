import PortcullisPlatform

/// Payloads and results are stored as JSON text, the same on both backends.
enum JobCoding {
    static func text(_ value: JSONValue) -> String {
        value.jsonText
    }

    /// The stored value; text that is not JSON (written by hand) reads as a string.
    static func value(_ text: String) -> JSONValue {
        (try? JSONValue(parsing: text.utf8)) ?? .string(text)
    }
}
