import HTTPTypes

/// The headers that tell a service behind the gateway who the user is: `X-Auth-Request-User`
/// (the username), `X-Auth-Request-User-Id` and `X-Auth-Request-Email`, the names oauth2-proxy
/// made usual for nginx `auth_request`. Only Portcullis sets them: whatever a client sent under
/// these names is removed first.
enum IdentityHeaders {
    static let user = HTTPField.Name("X-Auth-Request-User")!
    static let userID = HTTPField.Name("X-Auth-Request-User-Id")!
    static let email = HTTPField.Name("X-Auth-Request-Email")!
    static let all = [user, userID, email]

    /// Removes every identity header from `fields`.
    static func strip(_ fields: inout HTTPFields) {
        for name in all { fields[name] = nil }
    }

    /// Sets the identity of `user` in `fields`, replacing whatever was there.
    static func set(_ user: User, in fields: inout HTTPFields) {
        strip(&fields)
        fields[Self.user] = user.username
        fields[userID] = String(user.id)
        if let email = user.email { fields[Self.email] = email }
    }
}
