import ArgumentParser
import PortcullisPlatform
import PortcullisServer

/// The worker process the master starts; not for operators.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Serve on sockets inherited from the master (started by `serve`).",
        shouldDisplay: false
    )

    @Argument(parsing: .captureForPassthrough, help: "What the master wrote (WorkerInvocation).")
    var arguments: [String] = []

    func run() async throws {
        let invocation: WorkerInvocation
        do {
            invocation = try WorkerInvocation(parsing: arguments)
        } catch {
            throw ValidationError(error.description)
        }
        do {
            try await WorkerProcess.run(invocation, build: Portcullis.build)
        } catch .configuration(let problems) {
            report(problems)
            throw configurationErrorExit
        } catch {
            printToStandardError("portcullis worker: \(error)")
            throw ExitCode.failure
        }
    }
}
