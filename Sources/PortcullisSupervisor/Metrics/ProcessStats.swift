import Foundation
import Glibc

/// What `/proc` says about one process: resident memory, CPU time, open descriptors and start
/// time. The master reads it for itself and each worker at every scrape.
struct ProcessStats: Equatable {
    var residentBytes: Double
    var cpuSeconds: Double
    var openDescriptors: Double
    /// Seconds since the Unix epoch.
    var startTime: Double

    private static let ticks = Double(sysconf(Int32(truncatingIfNeeded: _SC_CLK_TCK)))
    private static let pageSize = Double(sysconf(Int32(truncatingIfNeeded: _SC_PAGESIZE)))
    private static let bootTime: Double = {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("btime ") })
        else { return 0 }
        return Double(line.dropFirst(6)) ?? 0
    }()

    /// The process `pid`'s figures; nil once it is gone.
    static func read(pid: Int32) -> ProcessStats? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")")
        else { return nil }
        // After the command's closing parenthesis: state is field 3, so field n is at n - 3.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        func field(_ number: Int) -> Double { fields.indices.contains(number - 3) ? Double(fields[number - 3]) ?? 0 : 0 }
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
        return ProcessStats(
            residentBytes: field(24) * pageSize,
            cpuSeconds: (field(14) + field(15)) / ticks,
            openDescriptors: Double(descriptors),
            startTime: bootTime + field(22) / ticks)
    }
}
