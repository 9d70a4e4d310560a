import ArgumentParser
import Foundation
import PortcullisPlatform

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Inspect the configuration.",
        subcommands: [Show.self]
    )

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the effective configuration, each value with the layer it came from; secrets redacted.",
            discussion: "One line per key: `key = value (layer)`. Layers: default, file, dotenv, env, flag. Exits 78 when the configuration is invalid."
        )

        @OptionGroup var options: ConfigOptions

        @Flag(name: .long, help: "Print a JSON object: {key: {value, layer}}.")
        var json = false

        func run() async throws {
            let loaded = ConfigLoader.load(options.request())
            if json {
                var members: [String: JSONValue] = [:]
                for entry in loaded.settings.all {
                    members[entry.key] = ["value": entry.jsonValue, "layer": .string(entry.layer.rawValue)]
                }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(JSONValue.object(members)), as: UTF8.self))
            } else {
                for entry in loaded.settings.all {
                    print("\(entry.key) = \(entry.displayText) (\(entry.layer.rawValue))")
                }
            }
            report(loaded.problems)
            if !loaded.errors.isEmpty { throw configurationErrorExit }
        }
    }
}
