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

    @Test func nowIsTodayInUTC() throws {
        let text = RFC3339.now()
        #expect(text.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil)
        let parsed = try Date(text, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true))
        #expect(abs(parsed.timeIntervalSinceNow) < 5)
    }
}
