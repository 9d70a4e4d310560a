/// One gauge's value as of now, for figures a process reads when it is scraped rather than
/// records as they happen (the job queue's depth, read from the database).
public struct GaugeSample: Sendable, Equatable {
    public var name: String
    public var help: String
    public var labels: [String: String]
    public var value: Double

    public init(name: String, help: String, labels: [String: String] = [:], value: Double) {
        self.name = name
        self.help = help
        self.labels = labels
        self.value = value
    }
}
