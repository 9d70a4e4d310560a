@testable import PortcullisSupervisor
import Testing

@Suite struct SupervisorStateMachineTests {
    typealias Machine = SupervisorStateMachine
    let t0 = ContinuousClock.now
    let rules = Machine.Rules(workerTimeout: .seconds(10), crashLoopMax: 3, stopBudget: .seconds(30), drainDelay: .seconds(2))

    func spawns(_ actions: [Machine.Action]) -> [(id: Int, index: Int, generation: Int)] {
        actions.compactMap { if case .spawn(let id, let index, let generation) = $0 { (id, index, generation) } else { nil } }
    }

    func signals(_ actions: [Machine.Action]) -> [(pid: Int32, signal: Machine.Signal)] {
        actions.compactMap { if case .signal(let pid, let signal) = $0 { (pid, signal) } else { nil } }
    }

    /// A machine whose first generation of `count` workers serves, with pids 100, 101, …
    func running(_ count: Int = 2) -> Machine {
        var machine = Machine(workers: count, rules: rules)
        for spawn in spawns(machine.start(now: t0)) {
            machine.spawned(id: spawn.id, pid: Int32(99 + spawn.id))
            _ = machine.workerReady(id: spawn.id, now: t0)
        }
        return machine
    }

    @Test func readyIsAnnouncedOnlyWhenEveryWorkerServes() {
        var machine = Machine(workers: 2, rules: rules)
        let started = spawns(machine.start(now: t0))
        #expect(started.map(\.index) == [0, 1])
        for spawn in started { machine.spawned(id: spawn.id, pid: Int32(100 + spawn.id)) }
        #expect(!machine.workerReady(id: started[0].id, now: t0).contains(.announceReady(workers: 2, generation: 1)))
        #expect(machine.phase == .booting)
        #expect(machine.workerReady(id: started[1].id, now: t0).contains(.announceReady(workers: 2, generation: 1)))
        #expect(machine.phase == .running)
    }

    @Test func aDeadWorkerIsReplacedAfterABackoff() {
        var machine = running()
        let dead = machine.workers[0]
        _ = machine.workerExited(id: dead.id, status: 137, now: t0 + .seconds(1))
        #expect(spawns(machine.tick(now: t0 + .seconds(1) + .milliseconds(50))).isEmpty)
        let replaced = spawns(machine.tick(now: t0 + .seconds(1) + .milliseconds(150)))
        #expect(replaced.map(\.index) == [dead.index])
        #expect(replaced.map(\.generation) == [1])
    }

    @Test func backoffDoublesUpToTenSeconds() {
        #expect(Machine.backoff(recentCrashes: 1) == .milliseconds(100))
        #expect(Machine.backoff(recentCrashes: 2) == .milliseconds(200))
        #expect(Machine.backoff(recentCrashes: 4) == .milliseconds(800))
        #expect(Machine.backoff(recentCrashes: 30) == .seconds(10))
    }

    @Test func workersDyingBeforeTheyServeStopTheMasterWithStatus1() throws {
        var machine = running(1)
        var now = t0
        _ = machine.workerExited(id: machine.workers[0].id, status: 137, now: now)
        for crash in 1...4 {
            now += .seconds(11)
            for spawn in spawns(machine.tick(now: now)) { machine.spawned(id: spawn.id, pid: Int32(200 + crash)) }
            let worker = try #require(machine.workers.first { $0.state == .starting })
            let actions = machine.workerExited(id: worker.id, status: 1, now: now + .seconds(1))
            #expect(actions.contains { if case .log(let line) = $0 { line.message == "worker died before serving" } else { false } })
            if crash <= 3 {
                #expect(!actions.contains(.exit(code: 1)))
            } else {
                #expect(actions.contains { if case .log(let line) = $0 { line.level == .critical && line.message.hasPrefix("crash loop: 4 workers died before serving") } else { false } })
                #expect(actions.contains(.exit(code: 1)))
            }
        }
        #expect(machine.phase == .stopped(exitCode: 1))
    }

    @Test func workersThatCrashAfterServingAreReplacedHoweverOften() {
        var machine = running(1)
        var now = t0
        for crash in 1...50 {
            let worker = machine.workers[0]
            let actions = machine.workerExited(id: worker.id, status: 132, now: now)
            #expect(!actions.contains(.exit(code: 1)), "crash \(crash)")
            #expect(actions.contains { if case .log(let line) = $0 { line.message == "worker died" && line.fields["status"] == "132" } else { false } })
            now += .seconds(10)
            let replaced = spawns(machine.tick(now: now))
            #expect(replaced.count == 1, "crash \(crash)")
            for spawn in replaced {
                machine.spawned(id: spawn.id, pid: Int32(200 + crash))
                _ = machine.workerReady(id: spawn.id, now: now)
            }
        }
        #expect(machine.phase == .running)
    }

    @Test func aDeadWorkersLineNamesAtMost32OfTheRequestsItServedAndCountsAll() throws {
        var machine = running(1)
        let ids = (1...40).map { "request-\($0)" }
        let actions = machine.workerExited(id: machine.workers[0].id, status: 132, serving: (ids, 41), now: t0)
        let line = try #require(actions.compactMap { if case .log(let line) = $0, line.message == "worker died" { line } else { nil } }.first)
        #expect(line.fields["requests_in_flight"] == "41")
        #expect(line.fields["request_ids"] == ids.prefix(32).joined(separator: ","))
        var quiet = running(1)
        let idle = quiet.workerExited(id: quiet.workers[0].id, status: 132, now: t0)
        #expect(idle.contains { if case .log(let line) = $0 { line.message == "worker died" && line.fields["request_ids"] == nil } else { false } })
    }

    @Test func crashesOutsideTheWindowAreForgotten() {
        var machine = running(1)
        var now = t0
        for _ in 1...6 {
            let worker = machine.workers[0]
            now += .seconds(30)
            let actions = machine.workerExited(id: worker.id, status: 1, now: now)
            #expect(!actions.contains(.exit(code: 1)))
            for spawn in spawns(machine.tick(now: now + .seconds(1))) { machine.spawned(id: spawn.id, pid: 300) }
        }
    }

    @Test func aWorkerThatMissesItsHeartbeatIsKilledOnce() {
        var machine = running(2)
        machine.heartbeat(id: machine.workers[1].id, now: t0 + .seconds(9))
        let actions = machine.tick(now: t0 + .seconds(11))
        #expect(signals(actions).map(\.pid) == [machine.workers[0].pid!])
        #expect(signals(actions).map(\.signal) == [.kill])
        #expect(signals(machine.tick(now: t0 + .seconds(12))).isEmpty)
    }

    @Test func aStartingWorkerHasTheStartTimeoutNotTheHeartbeatTimeout() {
        var machine = Machine(workers: 1, rules: rules)
        let spawn = spawns(machine.start(now: t0))[0]
        machine.spawned(id: spawn.id, pid: 100)
        #expect(signals(machine.tick(now: t0 + .seconds(29))).isEmpty, "silent for 29 s while starting: not yet")
        #expect(signals(machine.tick(now: t0 + .seconds(31))).map(\.signal) == [.kill])
    }

    @Test func terminateDrainsThenClosesListenersThenExitsZero() {
        var machine = running(2)
        let actions = machine.terminate(now: t0)
        #expect(actions.contains(.announceStopping))
        #expect(signals(actions).map(\.signal) == [.terminate, .terminate])
        #expect(!actions.contains(.closeListeners))
        #expect(!machine.tick(now: t0 + .seconds(1)).contains(.closeListeners))
        #expect(machine.tick(now: t0 + .seconds(2)).contains(.closeListeners))
        let ids = machine.workers.map(\.id)
        #expect(!machine.workerExited(id: ids[0], status: 0, now: t0 + .seconds(3)).contains(.exit(code: 0)))
        #expect(machine.workerExited(id: ids[1], status: 0, now: t0 + .seconds(3)).contains(.exit(code: 0)))
    }

    @Test func workersStillRunningAtTheStopBudgetAreKilled() {
        var machine = running(1)
        _ = machine.terminate(now: t0)
        #expect(signals(machine.tick(now: t0 + .seconds(29))).isEmpty)
        #expect(signals(machine.tick(now: t0 + .seconds(31))).map(\.signal) == [.kill])
    }

    @Test func quitKillsEveryWorkerAtOnceAndExitsZero() {
        var machine = running(2)
        let actions = machine.quit(now: t0)
        #expect(signals(actions).map(\.signal) == [.kill, .kill])
        #expect(actions.contains(.closeListeners))
        for worker in machine.workers { _ = machine.workerExited(id: worker.id, status: 137, now: t0) }
        #expect(machine.phase == .stopped(exitCode: 0))
    }

    @Test func reloadStartsANewGenerationAndRetiresTheOldOnceItServes() {
        var machine = running(2)
        let old = machine.workers
        #expect(machine.hangup() == [.announceReloading, .prepareReload])
        #expect(machine.phase == .preparing)
        let started = spawns(machine.reloadPrepared(workers: 3, now: t0))
        #expect(started.map(\.generation) == [2, 2, 2])
        #expect(machine.phase == .reloading(generation: 2))
        for (offset, spawn) in started.enumerated() { machine.spawned(id: spawn.id, pid: Int32(500 + offset)) }
        _ = machine.workerReady(id: started[0].id, now: t0)
        _ = machine.workerReady(id: started[1].id, now: t0)
        let last = machine.workerReady(id: started[2].id, now: t0)
        #expect(signals(last).map(\.pid) == old.map { $0.pid! })
        #expect(signals(last).allSatisfy { $0.signal == .terminate })
        #expect(last.contains(.announceReady(workers: 3, generation: 2)))
        #expect(last.contains(.reloadFinished(.reloaded(generation: 2))))
        #expect(machine.phase == .running)
        for worker in old {
            let exited = machine.workerExited(id: worker.id, status: 0, now: t0)
            #expect(spawns(exited).isEmpty)
        }
        #expect(spawns(machine.tick(now: t0 + .seconds(5))).isEmpty)
    }

    @Test func aNewWorkerThatDiesBeforeServingAbandonsTheReload() {
        var machine = running(2)
        _ = machine.hangup()
        let started = spawns(machine.reloadPrepared(workers: 3, now: t0))
        for (offset, spawn) in started.enumerated() { machine.spawned(id: spawn.id, pid: Int32(600 + offset)) }
        _ = machine.workerReady(id: started[0].id, now: t0)
        let actions = machine.workerExited(id: started[1].id, status: 78, now: t0)
        #expect(Set(signals(actions).map(\.pid)) == [600, 602])
        #expect(actions.contains(.announceReady(workers: 2, generation: 1)))
        #expect(actions.contains(.reloadFinished(.abandoned(problem: "a worker of the new generation exited with status 78 before serving"))))
        #expect(machine.phase == .running)
        #expect(machine.generation == 1)
        #expect(machine.desired == 2)
        #expect(machine.workers.filter { $0.generation == 1 }.allSatisfy { $0.state == .serving })
    }

    @Test func aWorkerOfAnotherBuildIsKilledAndItsDeathCountsAsOneBeforeServing() throws {
        var rules = self.rules
        rules.build = "1.0 aaa"
        var machine = Machine(workers: 1, rules: rules)
        let spawn = try #require(spawns(machine.start(now: t0)).first)
        machine.spawned(id: spawn.id, pid: 900)
        let actions = machine.workerReady(id: spawn.id, build: "1.1 bbb", now: t0)
        #expect(signals(actions).map(\.pid) == [900] && signals(actions).map(\.signal) == [.kill])
        #expect(!actions.contains(.announceReady(workers: 1, generation: 1)))
        #expect(machine.phase == .booting)
        let died = machine.workerExited(id: spawn.id, status: 137, now: t0)
        #expect(died.contains { if case .log(let line) = $0 { line.message == "worker died before serving" } else { false } })
        let again = try #require(spawns(machine.tick(now: t0 + .seconds(1))).first)
        machine.spawned(id: again.id, pid: 901)
        #expect(machine.workerReady(id: again.id, build: "1.0 aaa", now: t0 + .seconds(1)).contains(.announceReady(workers: 1, generation: 1)))
    }

    @Test func aRefusedReloadKeepsTheRunningGeneration() {
        var machine = running(2)
        _ = machine.hangup()
        #expect(machine.reloadRefused(problems: ["p"]) == [.reloadFinished(.refused(problems: ["p"])), .announceReady(workers: 2, generation: 1)])
        #expect(machine.generation == 1)
        #expect(machine.phase == .running)
    }

    @Test func ttinAddsAWorkerAndTtouRetiresTheHighestIndex() {
        var machine = running(2)
        let added = spawns(machine.addWorker(now: t0))
        #expect(added.map(\.index) == [2])
        machine.spawned(id: added[0].id, pid: 777)
        _ = machine.workerReady(id: added[0].id, now: t0)
        #expect(signals(machine.removeWorker()).map(\.pid) == [777])
        #expect(machine.desired == 2)
        _ = machine.removeWorker()
        #expect(machine.removeWorker().isEmpty)
        #expect(machine.desired == 1)
    }

    @Test func aRecyclingWorkerIsReplacedAtOnceAndItsExitIsNoCrash() {
        var machine = running(1)
        let worker = machine.workers[0]
        #expect(spawns(machine.recycling(id: worker.id, now: t0)).map(\.index) == [0])
        let exited = machine.workerExited(id: worker.id, status: 0, now: t0)
        #expect(!exited.contains { if case .log(let line) = $0 { line.message == "worker died" } else { false } })
    }

    func logged(_ actions: [Machine.Action]) -> [String] {
        actions.compactMap { if case .log(let line) = $0 { line.message } else { nil } }
    }

    @Test func whilePreparingHeartbeatsKeepWorkersAliveAndASilentOneIsStillKilled() {
        var machine = running(2)
        _ = machine.hangup()
        let (talking, silent) = (machine.workers[0], machine.workers[1])
        for second in stride(from: 5, through: 25, by: 5) { machine.heartbeat(id: talking.id, now: t0 + .seconds(second)) }
        let killed = machine.tick(now: t0 + .seconds(26))
        #expect(signals(killed).map(\.pid) == [silent.pid!], "past worker_timeout, only the silent worker")
        #expect(signals(killed).map(\.signal) == [.kill])
        #expect(machine.phase == .preparing)
    }

    @Test func aWorkerThatDiesWhilePreparingIsReplacedInTheRunningGeneration() {
        var machine = running(2)
        _ = machine.hangup()
        let dead = machine.workers[0]
        #expect(logged(machine.workerExited(id: dead.id, status: 139, now: t0)) == ["worker died"])
        let replaced = spawns(machine.tick(now: t0 + .seconds(1)))
        #expect(replaced.map(\.generation) == [1] && replaced.map(\.index) == [dead.index])
        let started = spawns(machine.reloadPrepared(workers: 2, now: t0 + .seconds(2)))
        #expect(started.map(\.generation) == [2, 2])
    }

    @Test func hupTtinAndTtouWhilePreparingAreIgnoredWithALine() {
        var machine = running(2)
        _ = machine.hangup()
        #expect(logged(machine.hangup()) == ["reload ignored: the master is not running steadily"])
        #expect(logged(machine.addWorker(now: t0)) == ["worker count change ignored: the master is not running steadily"])
        #expect(logged(machine.removeWorker()) == ["worker count change ignored: the master is not running steadily"])
        #expect(machine.desired == 2 && machine.phase == .preparing)
    }

    @Test func hupOutsideRunningIsIgnoredWithALine() {
        var booting = Machine(workers: 1, rules: rules)
        _ = booting.start(now: t0)
        #expect(logged(booting.hangup()) == ["reload ignored: the master is not running steadily"])
        #expect(booting.phase == .booting)
        var reloading = running(1)
        _ = reloading.hangup()
        _ = reloading.reloadPrepared(workers: 1, now: t0)
        #expect(logged(reloading.hangup()) == ["reload ignored: the master is not running steadily"])
        #expect(reloading.phase == .reloading(generation: 2))
        var stopping = running(1)
        _ = stopping.terminate(now: t0)
        #expect(!stopping.hangup().contains(.prepareReload))
    }

    @Test func termWhilePreparingAbandonsTheReloadAndItsLateResultIsIgnored() {
        var machine = running(2)
        _ = machine.hangup()
        let stop = machine.terminate(now: t0)
        #expect(stop.contains(.reloadFinished(.abandoned(problem: "the master began to stop before the reload finished"))))
        #expect(signals(stop).map(\.signal) == [.terminate, .terminate])
        #expect(machine.reloadPrepared(workers: 2, now: t0).isEmpty)
        #expect(machine.reloadRefused(problems: ["late"]).isEmpty)
        #expect(machine.phase.isGracefulStop)
    }

    @Test func aSecondTermDuringAStopChangesNothingAndQuitKillsAtOnce() {
        var machine = running(2)
        _ = machine.terminate(now: t0)
        #expect(machine.terminate(now: t0 + .seconds(1)).isEmpty)
        #expect(machine.phase.isGracefulStop)
        let quit = machine.quit(now: t0 + .seconds(2))
        #expect(signals(quit).map(\.signal) == [.kill, .kill])
        #expect(quit.contains(.closeListeners))
        #expect(machine.phase == .stopping(graceful: false, deadline: t0 + .seconds(2), exitCode: 0))
        #expect(machine.quit(now: t0 + .seconds(3)).isEmpty, "QUIT during an immediate stop changes nothing")
    }
}
