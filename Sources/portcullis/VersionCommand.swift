import ArgumentParser

struct VersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print the version, the git revision and the build date."
    )

    func run() async throws {
        print("portcullis \(Portcullis.version) (git \(BuildInfo.gitRevision), built \(BuildInfo.buildDate))")
    }
}
