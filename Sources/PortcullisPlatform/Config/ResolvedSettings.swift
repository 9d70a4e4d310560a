/// Every key's resolved value in registry order, with the layer each came from.
public struct ResolvedSettings: Sendable {
    /// The keys in the order `config show` prints them.
    public let all: [ResolvedSetting]
    private let byKey: [String: ResolvedSetting]
    private let defaults: DefaultsContext

    init(_ all: [ResolvedSetting], defaults: DefaultsContext) {
        self.all = all
        self.byKey = Dictionary(all.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        self.defaults = defaults
    }

    /// The typed value of a key.
    public subscript<Value>(_ setting: Setting<Value>) -> Value {
        byKey[setting.key]?.value as? Value ?? setting.defaultValue(defaults)
    }

    /// The resolved entry of a key, with its layer.
    public func entry<Value>(_ setting: Setting<Value>) -> ResolvedSetting? { byKey[setting.key] }
}
