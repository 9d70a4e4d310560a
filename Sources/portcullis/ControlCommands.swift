import ArgumentParser
import Foundation
import PortcullisPlatform
import PortcullisSupervisor

/// `--socket`, shared by the commands that ask the running master.
struct ControlSocketOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The master's control socket (default: server.control_socket).", valueName: "path"))
    var socket: String?

    /// `--socket`, or `server.control_socket` from the configuration. The configuration need
    /// not be valid: a reload is often asked for because it changed. When the file cannot be
    /// read at all, neither its profile nor its socket is known, and the package's socket is
    /// asked if there is one.
    func path(_ options: ConfigOptions) throws -> String {
        if let socket { return socket }
        let loaded = ConfigLoader.load(options.request())
        if loaded.errors.contains(where: { $0.key == ConfigLoader.fileKey }),
            FileManager.default.fileExists(atPath: Settings.packagedControlSocket) {
            return Settings.packagedControlSocket
        }
        let path = loaded.config.server.controlSocket
        guard !path.isEmpty else {
            printToStandardError("portcullis: server.control_socket is \"\" (off): the master answers nowhere; give --socket")
            throw ExitCode.failure
        }
        return path
    }
}

struct ReloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Ask the running master to reload its configuration, and wait for the outcome.",
        discussion: """
            The master validates the configuration, runs its start-up work (migrations), starts a new \
            generation of workers and retires the old one once the new one serves. Exits 0 once the new \
            generation serves; 1 with the problems printed when the reload was refused (the old \
            configuration keeps serving) or no master answers. The unit's ExecReload= runs this.
            """
    )

    @OptionGroup var options: ConfigOptions
    @OptionGroup var control: ControlSocketOptions

    @Option(name: .long, help: ArgumentHelp("Seconds to wait for the outcome.", valueName: "seconds"))
    var timeout: Int = 90

    func validate() throws {
        guard (1...3600).contains(timeout) else { throw ValidationError("--timeout must be 1-3600 seconds") }
    }

    func run() async throws {
        let report: ReloadReport
        do {
            report = try ControlClient.reload(socket: try control.path(options), timeout: .seconds(timeout))
        } catch let failure as ControlClient.Failure {
            printToStandardError("portcullis: \(failure)")
            throw ExitCode.failure
        }
        guard report.succeeded else {
            printToStandardError("portcullis: reload \(report.outcome); generation \(report.generation) keeps serving:")
            for problem in report.problems { printToStandardError("  \(problem)") }
            throw ExitCode.failure
        }
        print("reloaded: generation \(report.generation) serves")
    }
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what the running master knows: its build, uptime, generation, workers and last reload.",
        discussion: "Workers' requests and connections are as of their last heartbeat, at most a second old. Exits 1 when no master answers."
    )

    @OptionGroup var options: ConfigOptions
    @OptionGroup var control: ControlSocketOptions

    @Flag(name: .long, help: "Print the master's answer as JSON, for scripts.")
    var json = false

    func run() async throws {
        let path = try control.path(options)
        let status: MasterStatus
        do {
            status = try ControlClient.status(socket: path)
        } catch {
            printToStandardError("portcullis: \(error)")
            throw ExitCode.failure
        }
        print(json ? status.json : status.text)
    }
}
