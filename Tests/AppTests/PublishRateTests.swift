@testable import PortcullisApp
import Testing

@Suite struct PublishRateTests {
    @Test func aBurstOfTheRateThenTheRateASecond() {
        var rate = PublishRate(rate: 5)
        let start = ContinuousClock.now
        var admitted: [Bool] = []
        for offset in [0, 0, 0, 0, 0, 0, 200, 210] { admitted.append(rate.admit(now: start + .milliseconds(offset))) }
        #expect(admitted == [true, true, true, true, true, false, true, false])
        var later: [Bool] = []
        for _ in 0..<6 { later.append(rate.admit(now: start + .seconds(10))) }
        #expect(later == [true, true, true, true, true, false])
    }
}
