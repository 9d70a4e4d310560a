@testable import PortcullisServer
import Testing

@Suite struct RequestHeadTimerTests {
    @Test func aNewConnectionMustSendItsHeadInTime() {
        var timer = RequestHeadTimer()
        #expect(timer.connectionOpened() == .startTimer)
        #expect(timer.bytesReceived() == .none)
        #expect(timer.timerFired() == .close)
    }

    @Test func theTimerStopsOnceTheHeadArrivesAndRestartsWithTheNextRequestsFirstBytes() {
        var timer = RequestHeadTimer()
        _ = timer.connectionOpened()
        #expect(timer.headReceived() == .cancelTimer)
        #expect(timer.timerFired() == .none)
        #expect(timer.bytesReceived() == .none)
        #expect(timer.responseFinished() == .none)
        #expect(timer.state == .idle)
        #expect(timer.timerFired() == .none)
        #expect(timer.bytesReceived() == .startTimer)
        #expect(timer.state == .awaitingHead)
    }

    @Test func pipelinedRequestsKeepTheConnectionInRequestUntilTheLastResponse() {
        var timer = RequestHeadTimer()
        _ = timer.connectionOpened()
        _ = timer.headReceived()
        #expect(timer.headReceived() == .none)
        #expect(timer.responseFinished() == .none)
        #expect(timer.state == .inRequest(outstanding: 1))
        #expect(timer.bytesReceived() == .none)
        _ = timer.responseFinished()
        #expect(timer.state == .idle)
    }

    @Test func aStopIsHeldUntilTheFirstHeadThenPassedOn() {
        var timer = RequestHeadTimer()
        _ = timer.connectionOpened()
        let passedOnAtOnce = timer.quiesceRequested()
        #expect(!passedOnAtOnce)
        _ = timer.headReceived()
        let releasedWithTheHead = timer.takePendingQuiesce()
        let releasedTwice = timer.takePendingQuiesce()
        #expect(releasedWithTheHead)
        #expect(!releasedTwice)
        let laterStop = timer.quiesceRequested()
        #expect(laterStop)
    }
}
