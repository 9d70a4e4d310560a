import Configuration

/// One layer's values, looked up through swift-configuration.
struct ConfigLayerSnapshot: Sendable {
    let layer: ConfigLayer
    let snapshot: any ConfigSnapshot
    /// Prepended to a key's components: `portcullis` for the environment layers, so that
    /// `server.listen` is looked up as `PORTCULLIS_SERVER_LISTEN`.
    let prefix: [String]

    func lookup(_ key: String, type: ConfigType) throws -> ConfigContent? {
        let components = prefix + key.split(separator: ".").map(String.init)
        return try snapshot.value(forKey: AbsoluteConfigKey(components), type: type).value?.content
    }
}

/// A resolved key: its value, the layer it came from, and how it may be shown.
public struct ResolvedSetting: Sendable {
    public let key: String
    public let layer: ConfigLayer
    public let isSecret: Bool
    let value: any SettingValue

    /// The value for `config show`; `<redacted>` for secrets, and only the password of a database URL.
    public var displayText: String {
        guard isSecret else { return value.displayText }
        if key == Settings.databaseURL.key, let text = value as? String {
            return DatabaseURL.redactingPassword(text)
        }
        return "<redacted>"
    }

    /// The value for `config show --json`, redacted the same way.
    public var jsonValue: JSONValue { isSecret ? .string(displayText) : value.jsonValue }
}

/// The part of a ``Setting`` the registry needs without knowing its value type.
protocol AnySetting: Sendable {
    var key: String { get }
    var isSecret: Bool { get }
    func resolve(in layers: [ConfigLayerSnapshot], defaults: DefaultsContext) -> (ResolvedSetting, [ConfigProblem])
}

extension Setting: AnySetting {
    /// Takes the value from the highest layer that sets the key; a value of the wrong type or
    /// out of range is reported and the default is used in its place.
    func resolve(in layers: [ConfigLayerSnapshot], defaults: DefaultsContext) -> (ResolvedSetting, [ConfigProblem]) {
        var problems: [ConfigProblem] = []
        for layer in layers.sorted(by: { $0.layer > $1.layer }) {
            let content: ConfigContent?
            do {
                content = try lookupAllowingScalarList(layer)
            } catch {
                problems.append(ConfigProblem(.error, key: key, layer: layer.layer, "is not a valid \(Self.typeName)"))
                break
            }
            guard let content else { continue }
            guard let value = Value(content: content) else {
                problems.append(ConfigProblem(.error, key: key, layer: layer.layer, "is not a valid \(Self.typeName)"))
                break
            }
            if let why = check(value) {
                problems.append(ConfigProblem(.error, key: key, layer: layer.layer, why))
                break
            }
            return (ResolvedSetting(key: key, layer: layer.layer, isSecret: isSecret, value: value), problems)
        }
        let value = defaultValue(defaults)
        return (ResolvedSetting(key: key, layer: .default, isSecret: isSecret, value: value), problems)
    }

    private func lookupAllowingScalarList(_ layer: ConfigLayerSnapshot) throws -> ConfigContent? {
        do {
            return try layer.lookup(key, type: Value.configType)
        } catch where Value.configType == .stringArray {
            return try layer.lookup(key, type: .string)
        }
    }

    private static var typeName: String {
        switch Value.configType {
        case .int: "integer"
        case .double: "number"
        case .bool: "boolean (true or false)"
        case .stringArray: "list of strings"
        default: "string"
        }
    }
}
