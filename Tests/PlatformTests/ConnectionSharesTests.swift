import PortcullisPlatform
import Testing

/// The node's connection shares: a worker is over its share when it holds more than the mean
/// of the workers that accept plus a slack; workers that stopped accepting, went silent or
/// were cleared do not count.
@Suite struct ConnectionSharesTests {
    let second: UInt64 = 1_000_000_000

    @Test func aWorkerOverTheMeanPlusItsSlackIsOverItsShare() {
        let shares = ConnectionShares()
        let now = 10 * second
        shares.publish(slot: 0, connections: 0, accepting: true, now: now)
        shares.publish(slot: 1, connections: 0, accepting: true, now: now)
        // Two workers, 64 connections: the mean is 32 and the slack 2.
        shares.publish(slot: 1, connections: 30, accepting: true, now: now)
        #expect(!shares.overShare(slot: 0, connections: 34, now: now))
        #expect(shares.overShare(slot: 0, connections: 35, now: now))
        // A burst: the first to wake holds 3 while the other holds none yet.
        shares.publish(slot: 1, connections: 0, accepting: true, now: now)
        #expect(!shares.overShare(slot: 0, connections: 2, now: now))
        #expect(shares.overShare(slot: 0, connections: 3, now: now))
        // Nobody holds anything: nobody is over.
        #expect(!shares.overShare(slot: 0, connections: 0, now: now))
    }

    @Test func onlyWorkersThatAcceptAndWroteLatelyCount() {
        let shares = ConnectionShares()
        let now = 10 * second
        shares.publish(slot: 0, connections: 40, accepting: true, now: now)
        shares.publish(slot: 1, connections: 0, accepting: false, now: now)
        #expect(!shares.overShare(slot: 0, connections: 40, now: now), "a draining worker is not a peer")
        shares.publish(slot: 1, connections: 0, accepting: true, now: now)
        #expect(shares.overShare(slot: 0, connections: 40, now: now))
        #expect(!shares.overShare(slot: 0, connections: 40, now: now + ConnectionShares.freshness + 1), "a worker silent for a second is stuck or gone")
        shares.clear(slot: 1)
        #expect(!shares.overShare(slot: 0, connections: 40, now: now), "a dead worker's line is cleared")
    }

    @Test func slotsAreGivenLowestFirstAndTakenBack() {
        var slots = SlotAllocator()
        #expect(slots.take() == 0)
        #expect(slots.take() == 1)
        #expect(slots.take() == 2)
        slots.give(1)
        slots.give(1)
        #expect(slots.take() == 1)
        #expect(slots.take() == 3)
        var full = SlotAllocator()
        for _ in 0..<ConnectionShares.slotCount { #expect(full.take() != nil) }
        #expect(full.take() == nil)
    }
}
