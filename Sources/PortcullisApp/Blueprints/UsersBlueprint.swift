import Hummingbird
import PortcullisPersistence
import PortcullisHTTP

/// `POST /users` (sign up) and `GET /users/{id}`.
enum UsersBlueprint {
    static let newUser = BodySchema(name: "NewUser", fields: [
        FieldRule("username", .string(minLength: 3, maxLength: 32, allowed: CharacterClass("A-Za-z0-9_.-")),
                  summary: "Letters, digits, `_`, `.` and `-`; stored lower-case, unique regardless of case."),
        FieldRule("email", .string(minLength: 3, maxLength: 254, format: .email), summary: "Unique regardless of case."),
        FieldRule("password", .string(minLength: 8, maxLength: 128), summary: "Stored only as a scrypt hash."),
        FieldRule("bio", .string(minLength: 0, maxLength: 500), required: false, summary: "Optional."),
    ])

    static func make(services: AppServices) -> Blueprint {
        var blueprint = Blueprint(name: "users", prefix: "users")
        blueprint.post("", doc: RouteDoc(
            summary: "Create a user",
            requestBody: newUser,
            responses: [
                .init(201, "Created.", schema: "User"),
                .init(409, "The username or email is taken; `details` names the field.", schema: "Error"),
            ]
        )) { request, context in
            let body = try await JSONBody.read(request, context: context, schema: newUser)
            let user = try await create(body, store: services.store, passwords: services.passwords)
            var response = JSONResponse.make(user, status: .created)
            response.headers[.location] = "/users/\(user.id)"
            return response
        }
        blueprint.get(":id", doc: RouteDoc(
            summary: "Get a user",
            description: "Ids are sequential, so the email address is only for the user themself: with their bearer token.",
            responses: [.init(200, "The user.", schema: "User"), .init(404, "No user has this id.", schema: "Error")]
        )) { request, context in
            let notFound = APIError.notFound("No user has this id.")
            guard let id = context.parameters.get("id").flatMap(Int64.init), id > 0 else { throw notFound }
            guard let user = try await services.store.transaction(.readOnly, { session in
                try await UserRepository.find(id: id, in: session)
            }) else { throw notFound }
            // A missing or bad token is no error on this public route: it only withholds the email.
            let caller = try? await BearerAuth.userID(of: request, tokens: services.tokens)
            return JSONResponse.make(caller == user.id ? user : user.publicView)
        }
        return blueprint
    }

    /// Hashes the password (off the event loop), then inserts the user in one unit of work.
    static func create(_ body: ValidBody, store: any Store, passwords: PasswordHasher) async throws -> User {
        let hash = try await passwords.hash(body.string("password"))
        return try await store.transaction(.write) { session in
            try await UserRepository.create(
                username: body.string("username"), email: body.string("email"), passwordHash: hash,
                bio: body.optionalString("bio"), in: session
            )
        }
    }
}
