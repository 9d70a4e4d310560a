public import Configuration
import Foundation

/// A type a configuration key can hold: how it is looked up in a layer and how it is shown.
public protocol SettingValue: Sendable, Equatable {
    /// The type asked of a configuration snapshot.
    static var configType: ConfigType { get }
    /// Reads the value out of what a snapshot returned, or nil when the content has another type.
    init?(content: ConfigContent)
    /// The value as `config show` prints it.
    var displayText: String { get }
    /// The value as `config show --json` prints it.
    var jsonValue: JSONValue { get }
}

extension String: SettingValue {
    public static var configType: ConfigType { .string }
    public init?(content: ConfigContent) {
        guard case .string(let value) = content else { return nil }
        self = value
    }
    public var displayText: String { self }
    public var jsonValue: JSONValue { .string(self) }
}

extension Int: SettingValue {
    public static var configType: ConfigType { .int }
    public init?(content: ConfigContent) {
        guard case .int(let value) = content else { return nil }
        self = value
    }
    public var displayText: String { String(self) }
    public var jsonValue: JSONValue { .int(self) }
}

extension Double: SettingValue {
    public static var configType: ConfigType { .double }
    public init?(content: ConfigContent) {
        switch content {
        case .double(let value): self = value
        case .int(let value): self = Double(value)
        default: return nil
        }
    }
    public var displayText: String {
        self == self.rounded() && abs(self) < 1e15 ? String(Int(self)) : String(self)
    }
    public var jsonValue: JSONValue { .double(self) }
}

extension Bool: SettingValue {
    public static var configType: ConfigType { .bool }
    public init?(content: ConfigContent) {
        guard case .bool(let value) = content else { return nil }
        self = value
    }
    public var displayText: String { String(self) }
    public var jsonValue: JSONValue { .bool(self) }
}

extension Array: SettingValue where Element == String {
    public static var configType: ConfigType { .stringArray }
    public init?(content: ConfigContent) {
        switch content {
        case .stringArray(let values): self = values
        // A single YAML scalar reads as a comma-separated list, as the environment does.
        case .string(let value): self = value.splitList()
        default: return nil
        }
    }
    public var displayText: String { joined(separator: ",") }
    public var jsonValue: JSONValue { .array(map { .string($0) }) }
}

extension String {
    /// Splits `a, b,c` into `["a", "b", "c"]`, dropping empty items.
    func splitList() -> [String] {
        split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
