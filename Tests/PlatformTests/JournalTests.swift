import Foundation
import Logging
@testable import PortcullisPlatform
import TestSupport
import Testing

@Suite struct JournalTests {
    @Test func anEntryCarriesTheFieldsOfSpecSection6UnderJournalNames() {
        let entry = JournalEntry(level: .warning, message: "slow request", logger: "portcullis.access", worker: 1, fields: [
            "request_id": "abc", "duration_ms": .stringConvertible(12.5), "user-agent": "curl", "2fa": "x",
        ])
        #expect(entry.items == [
            "MESSAGE=slow request", "PRIORITY=4", "SYSLOG_IDENTIFIER=portcullis", "LOGGER=portcullis.access", "WORKER=1",
            "F2FA=x", "DURATION_MS=12.5", "REQUEST_ID=abc", "USER_AGENT=curl",
        ])
    }

    @Test func standardErrorIsTheJournalOnlyWhenDeviceAndInodeMatch() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write("stream", "")
        let fd = open(file, O_RDONLY)
        defer { close(fd) }
        var info = stat()
        fstat(fd, &info)
        let journald = file
        let matching = ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino)"]
        #expect(JournalStream.isJournal(fd: fd, environment: matching, socketPath: journald))
        #expect(!JournalStream.isJournal(fd: fd, environment: matching, socketPath: directory.path + "/no-journald"))
        #expect(!JournalStream.isJournal(fd: fd, environment: ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino + 1)"], socketPath: journald))
        #expect(!JournalStream.isJournal(fd: fd, environment: ["JOURNAL_STREAM": "garbage"], socketPath: journald))
        #expect(!JournalStream.isJournal(fd: fd, environment: [:], socketPath: journald))
    }
}
