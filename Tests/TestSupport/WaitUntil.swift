/// What a test waited for and never saw.
public struct WaitTimedOut: Error, CustomStringConvertible {
    public let description: String
}

/// Polls `condition` every `interval` until it holds. Throws when `timeout` passes first, so a
/// test whose condition never comes fails, naming `what`, instead of hanging the suite.
public func waitUntil(
    _ what: @autoclosure () -> String, timeout: Duration = .seconds(30), interval: Duration = .milliseconds(5),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw WaitTimedOut(description: "waited \(timeout) for \(what())") }
        try await Task.sleep(for: interval)
    }
}
