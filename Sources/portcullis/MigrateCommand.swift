import ArgumentParser
import Foundation
import PortcullisApp
import PortcullisPlatform

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending database migrations (serve does this too, at start-up and on reload).",
        discussion: """
            Idempotent, and safe to run while other nodes start or migrate: SQLite serializes on \
            its write lock, PostgreSQL on an advisory lock. Exits 1 when the database cannot be reached.
            """
    )

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let config = try loadConfigOrExit(options)
        let loggers = LoggerFactory.forThisProcess(config: config)
        loggers.bootstrapProcess()
        do {
            try FileManager.default.createDirectory(
                atPath: config.server.stateDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
            let applied = try await AppFactory.migrate(config.database, logger: loggers.logger("portcullis.database"))
            print(applied.isEmpty ? "database is up to date" : "applied migrations: " + applied.map(String.init).joined(separator: ", "))
        } catch {
            printToStandardError("portcullis: migrate failed: \(error)")
            throw ExitCode.failure
        }
    }
}
