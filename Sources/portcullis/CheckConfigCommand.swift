import ArgumentParser
import PortcullisPlatform

struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Load and validate the configuration exactly as serve would; print every problem.",
        discussion: "Exits 0 when the configuration is valid (warnings may be printed), 78 when it is not."
    )

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let loaded = ConfigLoader.load(options.request())
        for problem in loaded.problems { print(problem.description) }
        let source = loaded.configFile.map { "file \($0)" } ?? "no config file"
        guard loaded.errors.isEmpty else {
            print("configuration invalid: \(loaded.errors.count) error(s), \(loaded.warnings.count) warning(s) (profile \(loaded.config.profile.rawValue), \(source))")
            throw configurationErrorExit
        }
        print("configuration OK: \(loaded.warnings.count) warning(s) (profile \(loaded.config.profile.rawValue), \(source))")
    }
}
