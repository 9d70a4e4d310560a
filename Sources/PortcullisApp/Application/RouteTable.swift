/// A route the router answers: its path pattern (`/users/:id`) and its method.
public struct RegisteredRoute: Sendable, Hashable {
    public let path: String
    public let method: String
}

/// Every registered route's path pattern and methods, so a path that exists under another
/// method is answered 405 with `Allow` rather than 404.
struct RouteTable: Sendable {
    private var patterns: [(segments: [Substring], methods: Set<String>)] = []

    mutating func add(path: String, method: String) {
        let segments = path.split(separator: "/")
        if let index = patterns.firstIndex(where: { $0.segments == segments }) {
            patterns[index].methods.insert(method)
        } else {
            patterns.append((segments, [method]))
        }
    }

    /// Every route, as registered: `/users/:id` and `GET`.
    var routes: [RegisteredRoute] {
        patterns.flatMap { pattern in
            pattern.methods.map { RegisteredRoute(path: "/" + pattern.segments.joined(separator: "/"), method: $0) }
        }
    }

    /// The methods some route accepts at `path` (HEAD wherever GET is), or nil when no route has the path.
    func allowedMethods(for path: String) -> [String]? {
        let requested = path.split(separator: "/")
        var methods = Set<String>()
        for pattern in patterns where Self.matches(pattern.segments, requested) {
            methods.formUnion(pattern.methods)
        }
        guard !methods.isEmpty else { return nil }
        if methods.contains("GET") { methods.insert("HEAD") }
        return methods.sorted()
    }

    private static func matches(_ pattern: [Substring], _ path: [Substring]) -> Bool {
        if pattern.last == "**" { return path.count >= pattern.count - 1 && zip(pattern.dropLast(), path).allSatisfy(segmentMatches) }
        return pattern.count == path.count && zip(pattern, path).allSatisfy(segmentMatches)
    }

    private static func segmentMatches(_ pair: (Substring, Substring)) -> Bool {
        pair.0 == pair.1 || pair.0.hasPrefix(":") || pair.0 == "*" || (pair.0.hasPrefix("{") && pair.0.hasSuffix("}"))
    }
}
