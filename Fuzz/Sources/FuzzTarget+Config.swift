import Foundation
import PortcullisPlatform

extension FuzzTarget {
    /// The configuration loader on a YAML file and `PORTCULLIS_*` variables: the input up to
    /// its first NUL byte is the file, each line after it a variable. Every input ends in a
    /// configuration or a list of problems.
    static let config = FuzzTarget(name: "config") { bytes in
        let parts = bytes.split(separator: 0, maxSplits: 1, omittingEmptySubsequences: false)
        let file = configFile
        // A harness that cannot write its file tests nothing: stop loudly, not with every run "passing".
        precondition(FileManager.default.createFile(atPath: file, contents: Data(parts.first ?? [])), "cannot write \(file)")
        var environment: [String: String] = [:]
        if parts.count > 1 {
            for line in Array(parts[1]).text.split(separator: "\n") {
                let pair = line.split(separator: "=", maxSplits: 1)
                guard pair.count == 2 else { continue }
                environment["PORTCULLIS_" + pair[0]] = String(pair[1])
            }
        }
        let loaded = ConfigLoader.load(ConfigRequest(configFile: file, environment: environment, workingDirectory: "/nonexistent", readDefaultFile: false))
        _ = loaded.config
    }

    /// One file per process, rewritten for each input.
    static let configFile = NSTemporaryDirectory() + "/portcullis-fuzz-\(getpid()).yaml"
}
