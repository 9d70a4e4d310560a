import ArgumentParser

/// The `portcullis` command: the daemon and its operator tools.
@main
struct Portcullis: AsyncParsableCommand {
    static let version = "0.1.0"
    /// This binary's version and revision: what a worker tells its master, which starts
    /// only workers of its own build.
    static let build = "\(version) \(BuildInfo.gitRevision)"

    static let configuration = CommandConfiguration(
        commandName: "portcullis",
        abstract: "A hardened HTTP/JSON and WebSocket API gateway.",
        discussion: """
            Exit codes: 0 ok, 64 usage error, 78 configuration error, 1 any other failure.
            Configuration layers, later wins: built-in defaults < config file < .env (development) \
            < PORTCULLIS_* environment < flags.
            """,
        subcommands: [
            ServeCommand.self, CheckConfigCommand.self, ConfigCommand.self, MigrateCommand.self, UserCommand.self,
            VersionCommand.self, ReloadCommand.self, StatusCommand.self, WorkerCommand.self,
        ]
    )
}
