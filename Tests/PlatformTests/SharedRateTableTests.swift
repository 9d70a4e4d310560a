import Foundation
import PortcullisPlatform
import TestSupport
import Testing

/// The generic cell rate algorithm on the shared table: the rate, the burst, the retry time,
/// and two mappings of one file (as two workers have) sharing every bucket.
@Suite struct SharedRateTableTests {
    static let second: UInt64 = 1_000_000_000

    @Test func aBurstPassesAtOnceThenOneRequestPerIntervalAndTheRestAreRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let table = try SharedRateTable(path: directory.path + "/limits")
        let key = table.key("default", "c", "192.0.2.1")
        let interval = Self.second / 10  // 10/s
        let tolerance = interval * 5  // burst 5
        let now: UInt64 = 1_000 * Self.second
        var admitted = 0
        for _ in 0..<10 {
            if case .admitted = table.admit(key: key, interval: interval, tolerance: tolerance, now: now) { admitted += 1 }
        }
        #expect(admitted == 6, "the request and a burst of 5")
        #expect(table.admit(key: key, interval: interval, tolerance: tolerance, now: now) == .refused(retryAfter: interval))
        #expect(table.admit(key: key, interval: interval, tolerance: tolerance, now: now + interval) == .admitted(wait: tolerance, remaining: 0))
        #expect(table.admit(key: table.key("default", "c", "192.0.2.2"), interval: interval, tolerance: tolerance, now: now)
            == .admitted(wait: 0, remaining: 5), "another client has its own bucket")
        #expect(table.admit(key: key, interval: interval, tolerance: tolerance, now: now + 10 * Self.second) == .admitted(wait: 0, remaining: 5))
    }

    @Test func twoMappingsOfTheFileShareTheBuckets() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let first = try SharedRateTable(path: directory.path + "/limits")
        let second = try SharedRateTable(path: directory.path + "/limits")
        let key = first.key("route", "r")
        #expect(key == second.key("route", "r"), "the same seed, so the same key")
        let now: UInt64 = 50 * Self.second
        var admitted = 0
        for index in 0..<20 {
            let table = index.isMultiple(of: 2) ? first : second
            if case .admitted = table.admit(key: key, interval: Self.second, tolerance: 3 * Self.second, now: now) { admitted += 1 }
        }
        #expect(admitted == 4)
        #expect((try? FileManager.default.attributesOfItem(atPath: directory.path + "/limits")[.size] as? Int) == SharedRateTable.byteCount)
    }

    @Test func manyKeysNeverGrowTheTableAndAFullSetOnlyMakesTheLimitStricter() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let table = try SharedRateTable(path: directory.path + "/limits")
        let now: UInt64 = 10 * Self.second
        for index in 0..<200_000 {
            _ = table.admit(key: table.key("default", "c", "10.0.\(index / 256).\(index % 256)"), interval: Self.second, tolerance: 0, now: now)
        }
        #expect((try? FileManager.default.attributesOfItem(atPath: directory.path + "/limits")[.size] as? Int) == SharedRateTable.byteCount)
        let key = table.key("default", "c", "10.0.0.1")
        #expect(table.admit(key: key, interval: Self.second, tolerance: 0, now: now) == .refused(retryAfter: Self.second),
                "a key seen in this second is still refused")
    }
}
