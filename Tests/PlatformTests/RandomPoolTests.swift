@testable import PortcullisPlatform
import Testing

@Suite struct RandomPoolTests {
    /// 1000 draws cross the 256-byte refill 62 times: every draw is fresh bytes, none repeats.
    @Test func drawsNeverRepeatAcrossRefills() {
        let pool = RandomPool()
        var seen = Set<[UInt64]>()
        for _ in 0..<1000 {
            let (high, low) = pool.next128()
            seen.insert([high, low])
        }
        #expect(seen.count == 1000)
    }

    /// Draws from several threads at once share one pool without handing out the same bytes twice.
    @Test func concurrentDrawsAreDistinct() async {
        let pool = RandomPool()
        let all = await withTaskGroup(of: [[UInt64]].self) { group in
            for _ in 0..<4 {
                group.addTask { (0..<500).map { _ in let (high, low) = pool.next128(); return [high, low] } }
            }
            return await group.reduce(into: [[UInt64]]()) { $0 += $1 }
        }
        #expect(Set(all).count == 2000)
    }
}
