/// Where a configuration value came from, lowest precedence first.
///
/// The raw values are the names `config show` and validation messages print.
public enum ConfigLayer: String, Sendable, CaseIterable, Comparable, Codable {
    /// The built-in default.
    case `default`
    /// The YAML configuration file.
    case file
    /// The `.env` file in the working directory (development profile only).
    case dotenv
    /// A `PORTCULLIS_*` environment variable.
    case env
    /// A command-line flag.
    case flag

    /// The position in the precedence order; a higher rank wins.
    var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }

    public static func < (lhs: ConfigLayer, rhs: ConfigLayer) -> Bool { lhs.rank < rhs.rank }
}
