import Logging
import PortcullisPlatform
import Testing
import TestSupport

@Suite struct DropReportTests {
    @Test func anEpisodeOfDropsIsOneWarningThenOneNoticeWithTheCount() async throws {
        let logs = LogCapture()
        let config = try PortcullisConfig.testing(stateDir: "/tmp", overrides: ["log.format": "json"])
        let report = DropReport(logger: LoggerFactory(config: config, sink: logs).logger("test"), queue: "things", key: "some.key", link: "somewhere")
        report.delivered()
        for _ in 0..<5 { report.dropped() }
        report.delivered()
        report.delivered()
        report.dropped()
        var records: [[String: Any]] = []
        for _ in 0..<200 where records.count < 3 {
            records = logs.records
            if records.count < 3 { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(records.map { $0["msg"] as? String } == [
            "queue full; dropping things", "queue has room again; things dropped meanwhile", "queue full; dropping things",
        ])
        #expect(records[1]["dropped"] as? String == "5")
        #expect(records.allSatisfy { $0["limit"] as? String == "some.key" })
    }
}
