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

    @Test func aStopThatArrivedBeforeTheTimerTookOverIsPassedOnWithTheFirstHead() {
        var timer = RequestHeadTimer(stopping: true)
        #expect(timer.isStopping)
        _ = timer.connectionOpened()
        _ = timer.headReceived()
        let first = timer.takePendingQuiesce()
        let second = timer.takePendingQuiesce()
        #expect(first)
        #expect(!second)
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
        let stopDuringRequest = timer.quiesceRequested()
        #expect(stopDuringRequest)
    }

    @Test func anIdleKeepAliveConnectionHoldsTheStopUntilItsNextRequestOrTheGraceEnds() {
        var timer = RequestHeadTimer()
        _ = timer.connectionOpened()
        _ = timer.headReceived()
        _ = timer.responseFinished()
        let atOnce = timer.quiesceRequested()
        #expect(!atOnce)
        _ = timer.headReceived()
        let withTheRequest = timer.takePendingQuiesce()
        #expect(withTheRequest)
        let graceAfterwards = timer.quiesceGraceEnded()
        #expect(!graceAfterwards)

        var idle = RequestHeadTimer()
        _ = idle.connectionOpened()
        _ = idle.headReceived()
        _ = idle.responseFinished()
        _ = idle.quiesceRequested()
        let graceEnded = idle.quiesceGraceEnded()
        #expect(graceEnded)
    }
}
