import Foundation

/// What a default may depend on: the profile, the process environment and the state directory.
public struct DefaultsContext: Sendable {
    public var profile: Profile
    public var environment: [String: String]
    /// The resolved `server.state_dir`; empty while that key itself is resolved.
    public var stateDir: String
    /// CPUs available to this process.
    public var availableCPUs: Int
}

/// One configuration key: its name, type, default, allowed values and whether it is secret.
///
/// The registry of every key is ``Settings``; values are read with ``ResolvedSettings/subscript(_:)``.
public struct Setting<Value: SettingValue>: Sendable {
    /// The dotted key, such as `server.graceful_timeout`.
    public let key: String
    /// Whether `config show` and the logs must never print the value.
    public let isSecret: Bool
    let defaultValue: @Sendable (DefaultsContext) -> Value
    /// Returns a problem text when the value is outside its allowed range.
    let check: @Sendable (Value) -> String?

    init(
        _ key: String,
        secret: Bool = false,
        default defaultValue: @escaping @Sendable (DefaultsContext) -> Value,
        check: @escaping @Sendable (Value) -> String? = { _ in nil }
    ) {
        self.key = key
        self.isSecret = secret
        self.defaultValue = defaultValue
        self.check = check
    }

    init(_ key: String, secret: Bool = false, default value: Value, check: @escaping @Sendable (Value) -> String? = { _ in nil }) {
        self.init(key, secret: secret, default: { _ in value }, check: check)
    }

    /// The environment variable that sets this key: `server.key_name` → `PORTCULLIS_SERVER_KEY_NAME`.
    public var environmentName: String { Self.environmentName(for: key) }

    static func environmentName(for key: String) -> String {
        "PORTCULLIS_" + key.uppercased().replacingOccurrences(of: ".", with: "_")
    }
}

/// Range checks shared by the numeric keys.
enum Check {
    static func within<N: Comparable & SettingValue>(_ range: ClosedRange<N>) -> @Sendable (N) -> String? {
        { value in
            range.contains(value)
                ? nil : "must be between \(range.lowerBound.displayText) and \(range.upperBound.displayText), got \(value.displayText)"
        }
    }

    static func oneOf(_ allowed: [String]) -> @Sendable (String) -> String? {
        { value in allowed.contains(value) ? nil : "must be one of \(allowed.joined(separator: ", ")), got \"\(value)\"" }
    }
}
