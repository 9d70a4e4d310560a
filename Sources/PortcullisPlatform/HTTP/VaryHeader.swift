import HTTPTypes

extension HTTPFields {
    /// Adds `token` to `Vary` unless it is listed already or `Vary: *` covers it.
    mutating func addVary(_ token: String) {
        guard contains(.vary) else {
            append(HTTPField(name: .vary, value: token))
            return
        }
        let listed = self[values: .vary]
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingSpaces().lowercased() }
        guard !listed.contains(token.lowercased()), !listed.contains("*") else { return }
        append(HTTPField(name: .vary, value: token))
    }
}
