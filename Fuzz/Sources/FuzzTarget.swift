/// One fuzz target: code that reads untrusted input, run on one input. A trap anywhere in it
/// is a finding; so is a broken invariant, which the target checks with `require`.
struct FuzzTarget: Sendable {
    let name: String
    let run: @Sendable ([UInt8]) -> Void

    static let all: [FuzzTarget] = [
        .json, .body, .pubsub, .chat, .hub, .control, .forwarded, .acceptEncoding, .storedHash, .requestID, .config,
    ]
}

/// Stops the run with `message` when `condition` is false: a finding, like a trap.
func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}

extension Array where Element == UInt8 {
    /// The input cut at each NUL byte, for targets that take several strings.
    var parts: [[UInt8]] { split(separator: 0, omittingEmptySubsequences: false).map(Array.init) }

    var text: String { String(decoding: self, as: UTF8.self) }
}
