import ArgumentParser
import PortcullisPlatform

/// `--config` and `--profile`, shared by every command that reads the configuration.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("YAML configuration file (default: \(ConfigRequest.defaultFile) when it exists).", valueName: "file"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp("Profile: development, testing or production.", valueName: "profile"))
    var profile: String?

    func request(workers: Int? = nil, listen: [String] = []) -> ConfigRequest {
        ConfigRequest(configFile: config, profile: profile, workers: workers, listen: listen)
    }
}

/// Exit 78 (EX_CONFIG): systemd's unit does not restart on it.
let configurationErrorExit = ExitCode(78)

/// Writes problems one per line to standard error.
func report(_ problems: [ConfigProblem]) {
    for problem in problems { printToStandardError(problem.description) }
}

func printToStandardError(_ line: String) {
    StandardErrorSink().write(line: line + "\n")
}

/// The validated configuration, or every problem on standard error and exit 78; for the
/// commands that need a configuration but start no server (`migrate`, `user add`).
func loadConfigOrExit(_ options: ConfigOptions) throws -> PortcullisConfig {
    let loaded = ConfigLoader.load(options.request())
    guard loaded.errors.isEmpty else {
        printToStandardError("portcullis: the configuration is invalid:")
        report(loaded.errors)
        throw configurationErrorExit
    }
    return loaded.config
}
