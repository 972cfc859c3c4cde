import PodsimHistory
import Testing

@testable import PodsimCheckers

/// `single-execution` on hand-written provider call logs.
@Suite struct SingleExecutionCheckerTests {
    private func check(_ script: HistoryScript) -> Verdict { SingleExecutionChecker().check(script.history, bounds: .init()) }

    @Test func oneCallPerStepOfEachAttemptPasses() {
        var script = HistoryScript()
        script.providerCall(step: 1, at: 10)
        script.providerCall(step: 2, at: 100)
        script.providerCall(attempt: 2, step: 1, pod: "pod-2", at: 500)
        #expect(check(script).validity == .pass)
    }

    @Test func aSecondCallForOneStepFails() throws {
        var script = HistoryScript()
        script.providerCall(at: 10)
        script.providerCall(pod: "pod-3", at: 40)
        let verdict = check(script)
        let violation = try #require(verdict.violations.first)
        #expect(violation.message == "thread t1 run r1 attempt 1 step 1: 2 provider calls (from pod-1 at 10.0 ms, pod-3 at 40.0 ms)")
        #expect(violation.indices == [0, 1])
    }

    @Test func hostedRecoveryIsANewAttempt() {
        var script = HistoryScript("hosted")
        script.providerCall(run: "f1", at: 10)
        script.providerCall(run: "f1", attempt: 2, pod: "pod-2", at: 400)
        #expect(check(script).validity == .pass)
    }

    @Test func callsWithoutTheirStepAreUnknown() {
        var script = HistoryScript()
        script.providerCall(step: nil, at: 10)
        let verdict = check(script)
        #expect(verdict.validity == .unknown)
        #expect(verdict.note == "1 provider calls lack their run, attempt or step")
    }

    @Test func completedRunsWithoutACallLogAreUnknown() {
        var script = HistoryScript()
        script.finish(at: 100)
        #expect(check(script).validity == .unknown)
    }
}
