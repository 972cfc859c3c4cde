import PodsimHistory
import Testing

@testable import PodsimCheckers

/// `termination` and `Termination.unsettled` on hand-written histories.
@Suite struct TerminationCheckerTests {
    private let bounds = CheckerBounds(terminationNanos: 2_000_000_000)
    private func check(_ script: HistoryScript) -> Verdict { TerminationChecker().check(script.history, bounds: bounds) }

    /// A send at 0 ms whose run r1 is claimed on pod-1; watcher `w` on pod-2 attached from the start.
    private func accepted() -> HistoryScript {
        var script = HistoryScript()
        script.attach("w", on: "pod-2", at: 0)
        script.send(at: 10)
        script.claim(at: 30)
        script.append(1...8, from: 40)
        return script
    }

    /// Hosted: a turn whose child never started ends with its gate (ERROR); it streamed nothing,
    /// so its watchers are owed no terminal chunk.
    @Test func hostedGateThatEndedTheTurnCounts() {
        var script = HistoryScript("hosted")
        script.attach("w", on: "pod-1", at: 1)
        script.send(at: 10)
        script.add(.workflowFinished, at: 40) { $0.process = "pod-1"; $0.thread = "t1"; $0.message = "m1"; $0.run = "r1"; $0.workflow = "gate"; $0.state = "ERROR" }
        script.add(.stepEnd, at: 20_000)
        #expect(check(script).validity == .pass)
        #expect(Termination.unsettled(script.history).isEmpty)
    }

    @Test func finishedRunWithItsTerminalDeliveredPasses() {
        var script = accepted()
        script.deliver(1...8, to: "w", on: "pod-2", from: 42)
        script.finish(at: 130)
        script.detach("w", on: "pod-2", at: 140, reason: "ended")
        #expect(check(script).validity == .pass)
        #expect(Termination.unsettled(script.history).isEmpty)
    }

    @Test func runThatNeverFinishesFailsOnceTheBoundHasPassed() throws {
        var script = accepted()
        script.deliver(1...3, to: "w", on: "pod-2", from: 42)
        script.detach("w", on: "pod-2", at: 2500)
        let verdict = check(script)
        let violation = try #require(verdict.violations.first)
        #expect(violation.message.contains("send by alice on pod-1 at 10.0 ms (thread t1, message m1) was accepted but its run never finished"))
        #expect(violation.message.contains("no run-finished by 2020.0 ms"))
    }

    @Test func runNotFinishedWhenTheHistoryEndsEarlyIsUnknown() {
        var script = accepted()
        script.deliver(1...3, to: "w", on: "pod-2", from: 42)
        let verdict = check(script)
        #expect(verdict.validity == .unknown)
        #expect(verdict.note?.contains("before the send by alice") == true)
        #expect(Termination.unsettled(script.history) == ["send by alice on pod-1 at 10.0 ms (thread t1, message m1): no run-finished yet"])
    }

    @Test func aFaultExtendsTheDeadline() {
        var script = accepted()
        script.fault("kill", target: "pod-1", at: 100, took: 1500)
        script.claim(attempt: 2, on: "pod-3", at: 3000)
        script.append(1...8, attempt: 2, on: "pod-3", from: 3010)
        script.deliver(1...8, to: "w", on: "pod-2", attempt: 2, from: 3012)
        script.finish(attempt: 2, on: "pod-3", at: 3500)
        #expect(check(script).validity == .pass)
        var late = accepted()
        late.deliver(1...8, to: "w", on: "pod-2", from: 42)
        late.finish(at: 2200)
        #expect(check(late).validity == .fail)
    }

    @Test func watcherWithoutTheFinalAttemptsTerminalFails() throws {
        var script = accepted()
        script.deliver(1...8, to: "w", on: "pod-2", from: 42)  // attempt 1's finish, not attempt 2's
        script.claim(attempt: 2, on: "pod-3", at: 300)
        script.append(1...8, attempt: 2, on: "pod-3", from: 310)
        script.deliver(1...5, to: "w", on: "pod-2", attempt: 2, from: 312)
        script.finish(attempt: 2, on: "pod-3", at: 400)
        script.add(.stepEnd, at: 2500)
        let violation = try #require(check(script).violations.first)
        #expect(violation.message.contains("watcher w (pod-2) attached at 2.0 ms and still attached at 2400.0 ms never received a terminal chunk of run r1 attempt 2"))
        #expect(Termination.unsettled(script.history) == ["watcher w (pod-2): no terminal chunk of run r1 attempt 2 yet"])
    }

    @Test func watcherThatDetachedOwesNothing() {
        var script = accepted()
        script.deliver(1...3, to: "w", on: "pod-2", from: 42)
        script.detach("w", on: "pod-2", at: 80)
        script.finish(at: 130)
        script.add(.stepEnd, at: 5000)
        #expect(check(script).validity == .pass)
    }

    @Test func hostedTerminalOfTheFenceCounts() {
        var script = HistoryScript("hosted")
        script.attach("w", on: "pod-2", at: 0)
        script.send(run: "f1", at: 10)
        script.append(1...3, run: "f1", from: 40)
        script.claim(run: "f1", attempt: 2, on: "pod-3", at: 300)
        script.append(1...8, run: "f1", attempt: 2, on: "pod-3", from: 310)
        script.deliver(1...3, to: "w", on: "pod-2", run: "f1", from: 42)
        script.deliver(1...8, to: "w", on: "pod-2", run: "f1", from: 312)
        script.finish(run: "f1", attempt: 2, on: "pod-3", at: 400)
        script.add(.stepEnd, at: 5000)
        #expect(check(script).validity == .pass)
    }

    @Test func withoutTheStoreJournalItIsUnknown() {
        var script = HistoryScript()
        script.request("POST", "/api/threads/t1/messages", at: 10, status: 202, op: "send", thread: "t1")
        let verdict = check(script)
        #expect(verdict.validity == .unknown)
        #expect(verdict.note == "the history has no store journal")
    }

    @Test func sendsOnOneThreadMatchTheirOwnRuns() throws {
        var script = HistoryScript()
        script.send(message: "m1", run: "r1", at: 10)
        script.send(message: "m2", run: "r2", at: 50)
        script.finish(run: "r2", message: nil, at: 200)
        script.add(.stepEnd, at: 3000)
        let violation = try #require(check(script).violations.first)
        #expect(check(script).violations.count == 1)
        #expect(violation.message.hasPrefix("send by alice on pod-1 at 10.0 ms (thread t1, message m1) was accepted but its run never finished"))
    }

    @Test func aFinishThatNamesNoAttemptTakesAnyTerminalOfTheRun() {
        var script = accepted()
        script.deliver(1...8, to: "w", on: "pod-2", from: 42)
        script.add(.runFinished, at: 130) { $0.process = "pod-1"; $0.thread = "t1"; $0.message = "m1"; $0.run = "r1"; $0.state = "completed" }
        script.add(.stepEnd, at: 5000)
        #expect(check(script).validity == .pass)
    }
}
