import ArgumentParser
import PortcullisApp
import PortcullisHTTP
import PortcullisPlatform

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage users.",
        subcommands: [UserAddCommand.self]
    )
}

struct UserAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Create a user; the password is the first line of standard input, never an argument.",
        discussion: """
            The rules of POST /users apply. Example: printf '%s\\n' "$PASSWORD" | portcullis user add \
            --username alice --email alice@example.com. Exits 64 when a field is invalid or no password \
            arrives, 1 when the username or email is taken or the database cannot be reached.
            """
    )

    @OptionGroup var options: ConfigOptions

    @Option(help: ArgumentHelp("3-32 of a-z 0-9 _ . - (stored lower-case).", valueName: "name"))
    var username: String

    @Option(help: ArgumentHelp("The user's email address.", valueName: "address"))
    var email: String

    @Option(help: ArgumentHelp("An optional bio, up to 500 characters.", valueName: "text"))
    var bio: String?

    func run() async throws {
        let config = try loadConfigOrExit(options)
        guard let password = readLine(strippingNewline: true) else {
            printToStandardError("portcullis: no password on standard input (its first line is the password)")
            throw ExitCode(64)
        }
        let loggers = LoggerFactory.forThisProcess(config: config)
        loggers.bootstrapProcess()
        do {
            let id = try await UserAdministration.addUser(
                username: username, email: email, password: password, bio: bio,
                config: config, logger: loggers.logger("portcullis.database")
            )
            print("created user \(id) (\(username.lowercased()))")
        } catch APIError.validationFailed(let fields) {
            for (field, problem) in fields.sorted(by: { $0.key < $1.key }) { printToStandardError("portcullis: \(field) \(problem)") }
            throw ExitCode(64)
        } catch APIError.conflict(let message, _) {
            printToStandardError("portcullis: \(message)")
            throw ExitCode.failure
        } catch {
            printToStandardError("portcullis: user add failed: \(error)")
            throw ExitCode.failure
        }
    }
}
