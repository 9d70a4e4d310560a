import Foundation
import Hummingbird

/// The body of `POST /users`, every field optional so that each missing or invalid one can be
/// named in the 422.
struct NewUser: Decodable {
    let username: String?
    let email: String?
    let password: String?
    let bio: String?

    /// Field name → what is wrong with it; empty when the body is valid.
    var problems: [String: String] {
        var problems: [String: String] = [:]
        if let username, (3...32).contains(username.count),
            username.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }) {
        } else {
            problems["username"] = "3 to 32 letters, digits, '_', '.' or '-'"
        }
        if let email, (3...254).contains(email.count), email.split(separator: "@").count == 2 {} else {
            problems["email"] = "an email address"
        }
        if let password, (8...128).contains(password.count) {} else { problems["password"] = "8 to 128 characters" }
        if let bio, bio.count > 500 { problems["bio"] = "at most 500 characters" }
        return problems
    }
}

/// A 422 naming each invalid field.
struct ValidationFailure: HTTPResponseError {
    private struct Body: Encodable {
        let error: String
        let details: [String: String]
    }

    let fields: [String: String]
    var status: HTTPResponse.Status { .unprocessableContent }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = try JSONEncoder().encode(Body(error: "ValidationError", details: fields))
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
