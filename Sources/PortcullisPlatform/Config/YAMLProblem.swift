import Yams

/// A YAML error on one line — where, and what — without the document that Yams quotes in its
/// own description: a problem is printed by `check-config`, logged by a refused reload and
/// shown by `systemctl status`, where a whole file does not belong.
enum YAMLProblem {
    static func describe(_ error: any Error) -> String {
        guard let yaml = error as? YamlError else { return oneLine("\(error)") }
        switch yaml {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let within = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            return "line \(mark.line), column \(mark.column): \(problem)\(within)"
        case .reader(let problem, let offset, _, _):
            return offset.map { "byte \($0): \(problem)" } ?? problem
        case .duplicatedKeysInMapping(let duplicates, let context):
            return "line \(context.mark.line): \(duplicates.sorted().joined(separator: ", ")) given twice in one mapping"
        default:
            return oneLine(yaml.description)
        }
    }

    private static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
