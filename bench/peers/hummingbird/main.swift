import Foundation
import Hummingbird
import HummingbirdWebSocket

/// The bare Hummingbird peer of `bench/compare`: Portcullis's benchmarked routes written the
/// way Hummingbird's documentation writes them — one process, Codable bodies, no middleware,
/// request IDs, logs or security headers — so the comparison shows what Portcullis's process
/// model and hardening cost.
///
///     bench-hummingbird PORT DATABASE_PATH
let arguments = CommandLine.arguments
guard arguments.count == 3, let port = Int(arguments[1]) else {
    FileHandle.standardError.write(Data("usage: bench-hummingbird PORT DATABASE_PATH\n".utf8))
    exit(64)
}
let users = try await UserTable.open(path: arguments[2])
let passwords = Scrypt()
let tokens = await Tokens()

struct Health: ResponseEncodable { let status: String }
struct Token: ResponseEncodable {
    let access_token: String
    let token_type: String
    let expires_in: Int
}
struct Login: Decodable {
    let username: String
    let password: String
}

let router = Router()
router.get("/healthz") { _, _ in Health(status: "ok") }
router.get("/users/:id") { _, context in
    let id = try context.parameters.require("id", as: Int64.self)
    guard let user = try await users.find(id: id) else { throw HTTPError(.notFound, message: "No user has this id.") }
    return user
}
router.post("/users") { request, context in
    let body = try await request.decode(as: NewUser.self, context: context)
    let problems = body.problems
    guard problems.isEmpty else { throw ValidationFailure(fields: problems) }
    let user = try await users.create(body, hash: passwords.hash(body.password!))
    return EditedResponse(status: .created, response: user)
}
router.post("/auth/login") { request, context in
    let login = try await request.decode(as: Login.self, context: context)
    let found = try await users.credentials(username: login.username.lowercased())
    guard try await passwords.verify(login.password, against: found?.hash), let found else {
        throw HTTPError(.unauthorized, message: "The username or password is wrong.")
    }
    return Token(access_token: try await tokens.issue(userID: found.id), token_type: "bearer", expires_in: 900)
}

let webSockets = Router(context: BasicWebSocketRequestContext.self)
webSockets.ws("/ws/echo") { inbound, outbound, _ in
    for try await message in inbound.messages(maxSize: 1 << 20) {
        if case .text(let text) = message { try await outbound.write(.text("Echo: " + text)) }
    }
}
let app = Application(
    router: router,
    server: .http1WebSocketUpgrade(webSocketRouter: webSockets),
    configuration: .init(address: .hostname("127.0.0.1", port: port))
)
try await app.runService()
