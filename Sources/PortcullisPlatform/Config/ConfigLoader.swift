import Configuration
import Foundation
import Yams

/// The outcome of loading: the typed configuration, every key with its layer, and every problem found.
public struct LoadedConfiguration: Sendable {
    public let config: PortcullisConfig
    public let settings: ResolvedSettings
    /// Errors and warnings, in the order found.
    public let problems: [ConfigProblem]
    /// The configuration file that was read, if any.
    public let configFile: String?

    public var errors: [ConfigProblem] { problems.filter { $0.severity == .error } }
    public var warnings: [ConfigProblem] { problems.filter { $0.severity == .warning } }
}

/// Loads the configuration in layers — defaults < file < `.env` < environment < flags — and validates it.
///
/// Every problem is collected; nothing stops at the first one, so one run of `check-config` lists them all.
public enum ConfigLoader {
    /// The key under which problems with the configuration file itself are reported.
    public static let fileKey = "config"

    public static func load(_ request: ConfigRequest) -> LoadedConfiguration {
        var problems: [ConfigProblem] = []
        var layers: [ConfigLayerSnapshot] = []
        var unknownKeys: [(key: String, layer: ConfigLayer)] = []
        var sourceFiles: [ConfigLayer: String] = [:]

        let flags = flagLayer(request)
        layers.append(flags)
        let environment = request.environment.filter { $0.key.hasPrefix(environmentPrefix) }
        layers.append(environmentLayer(environment, as: .env))
        unknownKeys += unknownVariables(environment, layer: .env)

        let fileLoad = loadFile(request)
        problems += fileLoad.problems
        problems += fileLoad.gatewayProblems
        if let file = fileLoad.layer {
            layers.append(file)
            unknownKeys += fileLoad.unknownKeys.map { ($0, .file) }
            sourceFiles[.file] = fileLoad.path
        }

        let host = DefaultsContext(
            profile: .development,
            environment: request.environment,
            stateDir: "",
            availableCPUs: ProcessInfo.processInfo.activeProcessorCount
        )
        let (profileEntry, profileProblems) = Settings.profile.resolve(in: layers, defaults: host)
        problems += profileProblems
        let profile = Profile(rawValue: profileEntry.value.displayText) ?? .development

        if profile == .development {
            let dotenv = loadDotEnv(in: request.workingDirectory)
            problems += dotenv.problems
            if let variables = dotenv.variables {
                layers.append(environmentLayer(variables, as: .dotenv))
                unknownKeys += unknownVariables(variables, layer: .dotenv)
                sourceFiles[.dotenv] = dotenv.path
            }
        }

        var defaults = host
        defaults.profile = profile
        let (stateDirEntry, stateDirProblems) = Settings.stateDir.resolve(in: layers, defaults: defaults)
        problems += stateDirProblems
        defaults.stateDir = stateDirEntry.value.displayText

        var resolved = [profileEntry, stateDirEntry]
        for setting in Settings.all where setting.key != Settings.profile.key && setting.key != Settings.stateDir.key {
            let (entry, settingProblems) = setting.resolve(in: layers, defaults: defaults)
            resolved.append(entry)
            problems += settingProblems
        }
        let order = Dictionary(uniqueKeysWithValues: Settings.all.enumerated().map { ($1.key, $0) })
        resolved.sort { (order[$0.key] ?? 0) < (order[$1.key] ?? 0) }
        let settings = ResolvedSettings(resolved, defaults: defaults)

        let unknownSeverity: ConfigProblem.Severity = profile == .production ? .error : .warning
        for unknown in unknownKeys {
            problems.append(ConfigProblem(unknownSeverity, key: unknown.key, layer: unknown.layer, "unknown key (a typo?)"))
        }
        problems += TLSFiles.problems(in: settings)
        if profile == .production {
            problems += ProductionChecks.run(settings, sourceFiles: sourceFiles)
        }
        var config = PortcullisConfig(settings)
        config.gateway = fileLoad.gateway
        return LoadedConfiguration(
            config: config,
            settings: settings,
            problems: problems,
            configFile: sourceFiles[.file]
        )
    }

    static let environmentPrefix = "PORTCULLIS_"

    private static func flagLayer(_ request: ConfigRequest) -> ConfigLayerSnapshot {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        func set(_ key: String, _ content: ConfigContent) {
            values[AbsoluteConfigKey(key.split(separator: ".").map(String.init))] = ConfigValue(content, isSecret: false)
        }
        if let profile = request.profile { set(Settings.profile.key, .string(profile)) }
        if let workers = request.workers { set(Settings.workers.key, .int(workers)) }
        if !request.listen.isEmpty { set(Settings.listen.key, .stringArray(request.listen)) }
        return ConfigLayerSnapshot(layer: .flag, snapshot: InMemoryProvider(name: "flags", values: values).snapshot(), prefix: [])
    }

    private static func environmentLayer(_ variables: [String: String], as layer: ConfigLayer) -> ConfigLayerSnapshot {
        let provider = EnvironmentVariablesProvider(environmentVariables: variables)
        return ConfigLayerSnapshot(layer: layer, snapshot: provider.snapshot(), prefix: ["portcullis"])
    }

    private static let knownVariables: Set<String> = Set(Settings.keys.map(Setting<String>.environmentName(for:)))

    private static func unknownVariables(_ variables: [String: String], layer: ConfigLayer) -> [(key: String, layer: ConfigLayer)] {
        variables.keys.filter { $0.hasPrefix(environmentPrefix) && !knownVariables.contains($0) }.sorted().map { ($0, layer) }
    }

    private struct FileLoad {
        var layer: ConfigLayerSnapshot?
        var unknownKeys: [String] = []
        var problems: [ConfigProblem] = []
        var path: String?
        /// `gateway` and `limits`, which only the file holds, and what is wrong with them.
        var gateway = GatewayConfig()
        var gatewayProblems: [ConfigProblem] = []
    }

    private static func loadFile(_ request: ConfigRequest) -> FileLoad {
        guard let path = request.configFile ?? (request.readDefaultFile ? ConfigRequest.defaultFile : nil) else { return FileLoad() }
        let explicit = request.configFile != nil
        guard FileManager.default.fileExists(atPath: path) else {
            guard explicit else { return FileLoad() }
            return FileLoad(problems: [ConfigProblem(.error, key: fileKey, layer: .file, "\(path) does not exist")])
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            return FileLoad(problems: [ConfigProblem(.error, key: fileKey, layer: .file, "\(path) cannot be read")])
        }
        let keys: [String]
        do {
            guard let found = try YAMLKeys.leafKeys(of: data) else { return FileLoad(path: path) }
            keys = found
        } catch {
            return FileLoad(problems: [ConfigProblem(.error, key: fileKey, layer: .file, "\(path) is not valid YAML: \(YAMLProblem.describe(error))")])
        }
        do {
            let (settingsData, root) = try YAMLKeys.withoutStructuredSections(data)
            var parser = GatewayConfigParser()
            let gateway = root.map { parser.parse(root: $0) } ?? GatewayConfig()
            let snapshot = try YAMLSnapshot(data: settingsData.bytes, providerName: path, parsingOptions: .default)
            return FileLoad(
                layer: ConfigLayerSnapshot(layer: .file, snapshot: snapshot, prefix: []),
                unknownKeys: keys.filter { !Settings.keys.contains($0) },
                path: path,
                gateway: gateway,
                gatewayProblems: parser.problems
            )
        } catch {
            return FileLoad(problems: [ConfigProblem(.error, key: fileKey, layer: .file, "\(path) cannot be used: \(YAMLProblem.describe(error))")])
        }
    }

    private static func loadDotEnv(in directory: String) -> (variables: [String: String]?, problems: [ConfigProblem], path: String) {
        let path = directory + "/.env"
        guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else { return (nil, [], path) }
        do {
            var variables = try DotEnvFile(contents: contents).variables.filter { $0.key.hasPrefix(environmentPrefix) }
            var problems: [ConfigProblem] = []
            if variables.removeValue(forKey: Settings.profile.environmentName) != nil {
                problems.append(ConfigProblem(.warning, key: Settings.profile.key, layer: .dotenv, "ignored: .env is read only once the profile is known"))
            }
            return (variables, problems, path)
        } catch {
            return (nil, [ConfigProblem(.error, key: fileKey, layer: .dotenv, "\(path) line \(error.line): \(error.message)")], path)
        }
    }
}

/// Lists the dotted keys of a YAML document's leaves, so keys the product does not know are found.
enum YAMLKeys {
    struct NotAMapping: Error, CustomStringConvertible {
        var description: String { "the top level must be a mapping of sections" }
    }

    /// The keys, or nil for a document with no content (only comments, say).
    static func leafKeys(of data: Data) throws -> [String]? {
        guard let root = try Yams.compose(yaml: String(decoding: data, as: UTF8.self)) else { return nil }
        guard let mapping = root.mapping else { throw NotAMapping() }
        var keys: [String] = []
        func walk(_ mapping: Node.Mapping, prefix: String) {
            for (key, value) in mapping {
                let name = prefix.isEmpty ? (key.string ?? "?") : prefix + "." + (key.string ?? "?")
                if prefix.isEmpty, structuredSections.contains(name) { continue }
                if let nested = value.mapping { walk(nested, prefix: name) } else { keys.append(name) }
            }
        }
        walk(mapping, prefix: "")
        return keys
    }

    /// The top-level sections ``GatewayConfigParser`` reads, with lists and mappings that are
    /// not settings: the key walk and the settings snapshot leave them out.
    static let structuredSections: Set<String> = ["gateway", "limits"]

    /// The document without the structured sections (for the settings snapshot), and its root
    /// mapping (for the parser); the data unchanged when it has none.
    static func withoutStructuredSections(_ data: Data) throws -> (Data, Node.Mapping?) {
        guard let root = try Yams.compose(yaml: String(decoding: data, as: UTF8.self)), var mapping = root.mapping else { return (data, nil) }
        let original = mapping
        guard mapping.keys.contains(where: { structuredSections.contains($0.string ?? "") }) else { return (data, original) }
        for section in structuredSections { mapping[Node(section)] = nil }
        return (Data(try Yams.serialize(node: Node.mapping(mapping)).utf8), original)
    }
}
