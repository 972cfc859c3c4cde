import PodsimHistory
import Testing

@testable import PodsimCheckers

/// `cancel` on hand-written histories: after a cancel answers, the run stops within the bound.
@Suite struct CancelCheckerTests {
    private func check(_ script: HistoryScript) -> Verdict {
        CancelChecker().check(script.history, bounds: CheckerBounds(cancelNanos: 500_000_000))
    }

    /// Run r1 claimed on pod-2, streaming; a cancel on pod-1 answers at 105 ms.
    private func cancelled() -> HistoryScript {
        var script = HistoryScript()
        script.claim(on: "pod-2", at: 5)
        script.append(1...4, on: "pod-2", from: 10)
        script.request("POST", "/api/decopilot/cancel/t1", on: "pod-1", at: 100, status: 202)
        return script
    }

    @Test func runThatStopsWithinTheBoundPasses() {
        var script = cancelled()
        script.append(8...8, on: "pod-2", from: 300)
        script.finish(state: "cancelled", on: "pod-2", at: 310)
        #expect(check(script).validity == .pass)
    }

    @Test func runThatKeepsStreamingFails() throws {
        var script = cancelled()
        script.append(5...8, on: "pod-2", from: 900)
        let violation = try #require(check(script).violations.first)
        #expect(violation.message == "thread t1 run r1: the cancel by alice on pod-1 answered 202 at 105.0 ms, yet 4 content chunks were appended after 605.0 ms, the first (seq 5 text-delta \"chunk-2 \") on pod-2 at 900.0 ms")
    }

    @Test func aRunFinishedBeforeTheCancelIsNotJudged() {
        var script = HistoryScript()
        script.claim(at: 5)
        script.finish(at: 50)
        script.request("POST", "/api/decopilot/cancel/t1", at: 100, status: 200)
        script.claim(run: "r2", at: 2000)
        script.append(1...8, run: "r2", from: 2010)
        #expect(check(script).validity == .pass)
    }

    @Test func aRefusedCancelIsNotJudged() {
        var script = HistoryScript()
        script.claim(on: "pod-2", at: 5)
        script.request("POST", "/api/decopilot/cancel/t1", at: 100, status: 404)
        script.append(1...8, on: "pod-2", from: 900)
        #expect(check(script).validity == .pass)
    }

    @Test func theThreadIsThePathsLastComponent() {
        #expect(CancelChecker.thread(ofCancelPath: "/api/decopilot/cancel/thread-9?reason=x") == "thread-9")
    }
}
