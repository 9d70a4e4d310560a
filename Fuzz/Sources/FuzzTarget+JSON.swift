@testable import PortcullisApp
import PortcullisPlatform

extension FuzzTarget {
    /// The JSON reader every request body, frame and stored payload goes through; what it
    /// reads, the writer writes back as text it reads again to the same value.
    static let json = FuzzTarget(name: "json") { bytes in
        guard let value = try? JSONValue(parsing: bytes) else { return }
        let text = value.jsonText
        guard let again = try? JSONValue(parsing: text.utf8) else {
            require(false, "the writer wrote JSON its reader refuses: \(text)")
            return
        }
        require(again.jsonText == text, "JSON did not survive a round trip: \(text)")
    }

    /// Body validation of every route that takes one, on whatever JSON the body holds.
    static let body = FuzzTarget(name: "body") { bytes in
        guard let value = try? JSONValue(parsing: bytes) else { return }
        for schema in [UsersBlueprint.newUser, AuthBlueprint.credentials, JobsBlueprint.email, JobsBlueprint.data] {
            _ = try? schema.validate(value)
        }
    }
}
