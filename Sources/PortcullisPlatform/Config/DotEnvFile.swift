import Foundation

/// A `.env` file: `KEY=value` lines, `#` comments, optional `export ` and quotes.
struct DotEnvFile: Sendable {
    struct ParseError: Error, Sendable {
        let line: Int
        let message: String
    }

    let variables: [String: String]

    init(contents: String) throws(ParseError) {
        var variables: [String: String] = [:]
        for (index, rawLine) in contents.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = rawLine.trimmingSpaces()
            if line.hasSuffix("\r") { line.removeLast() }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst("export ".count)).trimmingSpaces() }
            guard let equals = line.firstIndex(of: "=") else {
                throw ParseError(line: index + 1, message: "expected KEY=value")
            }
            let name = line[..<equals].trimmingSpaces()
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw ParseError(line: index + 1, message: "\"\(name)\" is not a variable name")
            }
            var value = line[line.index(after: equals)...].trimmingSpaces()
            if let quote = value.first, quote == "\"" || quote == "'" {
                guard value.count >= 2, value.last == quote else {
                    throw ParseError(line: index + 1, message: "unterminated quote")
                }
                value = String(value.dropFirst().dropLast())
            } else if let comment = value.range(of: " #") {
                value = String(value[..<comment.lowerBound]).trimmingSpaces()
            }
            variables[name] = value
        }
        self.variables = variables
    }
}
