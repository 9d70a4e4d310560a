import Glibc
@testable import PortcullisPlatform
import Testing

@Suite struct InFlightRequestsTests {
    @Test func whatAWorkerEntersIsWhatItsMasterReadsThroughTheSharedMemory() throws {
        let (master, fd) = try InFlightRequests.shared()
        let worker = try #require(InFlightRequests(fd: dup(fd)))
        close(fd)
        let first = worker.enter("first")
        let second = worker.enter("second")
        _ = worker.enter(String(repeating: "x", count: 128))
        worker.leave(first)
        let seen = master.serving()
        #expect(Set(seen.ids) == ["second", String(repeating: "x", count: 128)])
        #expect(seen.count == 2)
        worker.leave(second)
        #expect(master.serving().ids == [String(repeating: "x", count: 128)])
    }

    @Test func requestsBeyondTheSlotsAreCountedAndTheirSlotsComeBack() {
        let board = InFlightRequests()
        let tickets = (0..<InFlightRequests.slotCount + 5).map { board.enter("r\($0)") }
        #expect(board.serving().ids.count == InFlightRequests.slotCount)
        #expect(board.serving().count == InFlightRequests.slotCount + 5)
        for ticket in tickets { board.leave(ticket) }
        #expect(board.serving().ids.isEmpty)
        #expect(board.serving().count == 0)
        _ = board.enter("again")
        #expect(board.serving().ids == ["again"])
    }

    @Test func aDescriptorThatIsNotSharedMemoryIsRefused() {
        #expect(InFlightRequests(fd: -1) == nil)
    }
}
