import Foundation

extension MasterStatus {
    /// The answer as the master sent it: one JSON object.
    public var json: String { String(decoding: ControlJSON.encode(self), as: UTF8.self) }

    /// The answer for a person at a terminal.
    public var text: String {
        var lines = [
            "portcullis \(build), master pid \(pid), up \(Self.duration(uptimeSeconds)) (since \(startedAt))",
            "\(phase), generation \(generation), \(workers.count) worker(s)",
        ]
        if let reload = lastReload {
            let detail = reload.succeeded ? "generation \(reload.generation) serves" : reload.problems.joined(separator: "; ")
            lines.append("last reload: \(reload.outcome) at \(reload.at): \(detail)")
        } else {
            lines.append("last reload: none since the master started")
        }
        let header = ["INDEX", "PID", "GENERATION", "STATE", "STARTED", "REQUESTS", "CONNECTIONS"]
        let rows = workers.map { worker in
            [
                "\(worker.index)", worker.pid.map { "\($0)" } ?? "-", "\(worker.generation)", worker.state, worker.startedAt,
                "\(worker.requests)", "\(worker.connections)",
            ]
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        for row in [header] + rows {
            let padded = zip(row.dropLast(), widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
            lines.append((padded + [row.last ?? ""]).joined(separator: "  "))
        }
        return lines.joined(separator: "\n")
    }

    /// `3d 4h 5m 6s`, leaving out the leading zero units.
    static func duration(_ seconds: Int) -> String {
        let parts = [(seconds / 86400, "d"), (seconds / 3600 % 24, "h"), (seconds / 60 % 60, "m"), (seconds % 60, "s")]
        let shown = parts.drop { $0.0 == 0 && $0.1 != "s" }
        return shown.map { "\($0.0)\($0.1)" }.joined(separator: " ")
    }
}
