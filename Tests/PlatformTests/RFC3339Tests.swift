import Foundation
import PortcullisPlatform
import Testing

@Suite struct RFC3339Tests {
    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00.000Z"),
        (1_795_971_954.5, "2026-11-29T17:05:54.500Z"),
        (951_782_400.75, "2000-02-29T00:00:00.750Z"),
        (-0.25, "1969-12-31T23:59:59.750Z"),
    ])
    func formatsUTCWithMilliseconds(seconds: Double, expected: String) {
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: seconds)) == expected)
    }

    /// The calendar arithmetic agrees with the C library's `gmtime_r` from year 1 to 9999:
    /// every day of 1969–2101 (leap years, 2000, 2100), then random instants.
    @Test func agreesWithGmtime() {
        var generator = SystemRandomNumberGenerator()
        let daily = stride(from: -366 * 86_400, to: 132 * 366 * 86_400, by: 86_399)
        let random = (0..<50_000).map { _ in Int.random(in: -62_135_596_800...253_402_300_799, using: &generator) }
        for seconds in Array(daily) + random {
            var time = time_t(seconds)
            var parts = tm()
            gmtime_r(&time, &parts)
            let expected = String(format: "%04d-%02d-%02dT%02d:%02d:%02d.000Z",
                                  parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec)
            #expect(RFC3339.string(from: Date(timeIntervalSince1970: Double(seconds))) == expected, "\(seconds)")
        }
    }

    @Test func nowIsTodayInUTC() throws {
        let text = RFC3339.now()
        #expect(text.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil)
        let parsed = try Date(text, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true))
        #expect(abs(parsed.timeIntervalSinceNow) < 5)
    }
}
