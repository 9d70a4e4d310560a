/// The workers' metrics summed into one exposition of the whole node. Each worker sends its
/// own Prometheus exposition with every heartbeat; the last one of each running worker
/// counts, and when a worker exits, its counters and histograms are kept, so no total ever
/// goes backwards however workers come and go. Gauges count only running workers.
struct NodeMetrics {
    /// One metric family: its type, help text and series (the text before the value, such as
    /// `name{label="v"}`) with their values, in the order a worker first wrote them (a
    /// histogram's buckets go up).
    struct Family: Equatable {
        var type = "untyped"
        var help: String?
        var series: [String: ExactSum] = [:]
        var order: [String] = []

        mutating func add(_ value: Double, to name: String) {
            if series[name] == nil { order.append(name) }
            series[name, default: ExactSum()].add(value)
        }

        /// Whether its series only grow: what a gone worker leaves in the totals.
        var accumulates: Bool { type == "counter" || type == "histogram" }
    }

    typealias Exposition = [String: Family]

    /// Each running worker's latest exposition as it came: read only when scraped or retired,
    /// not at every heartbeat.
    private var running: [Int: [UInt8]] = [:]
    private var gone: Exposition = [:]

    /// Worker `id`'s latest exposition.
    mutating func update(worker id: Int, exposition: [UInt8]) {
        running[id] = exposition
    }

    /// Worker `id` exited: its counters and histograms stay in the totals. Sums are kept exact
    /// (``ExactSum``), so moving a worker's values from running to gone never rounds a total down.
    mutating func retire(worker id: Int) {
        guard let last = running.removeValue(forKey: id) else { return }
        Self.add(Self.parse(last).filter { $0.value.accumulates }, to: &gone)
    }

    /// The node's families: what the gone workers left, plus every running worker's.
    var merged: Exposition {
        var total = gone
        for exposition in running.values { Self.add(Self.parse(exposition), to: &total) }
        return total
    }

    /// The text exposition of ``merged``: families in name order, series as first written;
    /// `help` gives the help text of families that came without one.
    func render(into buffer: inout [UInt8], help: [String: String] = [:]) {
        let families = merged
        for name in families.keys.sorted() {
            guard let family = families[name] else { continue }
            if let help = family.help ?? help[name] { buffer.append(contentsOf: "# HELP \(name) \(help)\n".utf8) }
            buffer.append(contentsOf: "# TYPE \(name) \(family.type)\n".utf8)
            for series in family.order {
                buffer.append(contentsOf: "\(series) \(Self.format(family.series[series]?.value ?? 0))\n".utf8)
            }
        }
    }

    private static func add(_ exposition: Exposition, to total: inout Exposition) {
        for (name, family) in exposition {
            var sum = total[name] ?? Family(type: family.type)
            sum.help = sum.help ?? family.help
            for series in family.order { sum.add(family.series[series]?.value ?? 0, to: series) }
            total[name] = sum
        }
    }

    /// Reads the text format as swift-prometheus writes it: `# HELP` and `# TYPE` lines before
    /// each family's series, one series per line, the value after the last space. A line that
    /// is not that is skipped.
    static func parse(_ bytes: [UInt8]) -> Exposition {
        var families: Exposition = [:]
        var current: String?
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            if line.hasPrefix("# ") {
                let parts = line.dropFirst(2).split(separator: " ", maxSplits: 2)
                guard parts.count == 3 else { continue }
                let name = String(parts[1])
                switch parts[0] {
                case "TYPE":
                    families[name, default: Family()].type = String(parts[2])
                    current = name
                case "HELP":
                    families[name, default: Family()].help = String(parts[2])
                default:
                    break
                }
                continue
            }
            guard let current, let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            families[current, default: Family()].add(value, to: String(line[..<space]))
        }
        return families
    }

    /// Whole numbers without a fraction, as counters read best; others as Swift prints them.
    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 9_007_199_254_740_992 { return String(Int64(value)) }
        return "\(value)"
    }
}
