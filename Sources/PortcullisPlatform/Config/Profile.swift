/// The deployment profile: it picks defaults and how strictly the configuration is checked.
public enum Profile: String, Sendable, CaseIterable, Codable {
    /// A developer's machine: readable logs, permissive CORS, `.env` is read.
    case development
    /// Automated tests: like development, without `.env`.
    case testing
    /// An installed appliance: JSON logs and strict validation.
    case production
}
