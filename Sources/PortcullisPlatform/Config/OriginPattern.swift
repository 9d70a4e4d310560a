import Foundation

/// Checks that a `cors.origins` entry is an exact origin: `scheme://host[:port]`, nothing more.
enum OriginPattern {
    static func isValid(_ origin: String) -> Bool {
        guard let components = URLComponents(string: origin),
            let scheme = components.scheme, scheme == "http" || scheme == "https",
            let host = components.host, !host.isEmpty
        else { return false }
        return components.path.isEmpty && components.query == nil && components.fragment == nil
            && components.user == nil
    }
}
