import PodsimHistory
import Testing

@testable import PodsimCheckers

/// `fencing` on hand-written journals: an attempt writes nothing once a later one is claimed.
@Suite struct FencingCheckerTests {
    private func check(_ script: HistoryScript) -> Verdict { FencingChecker().check(script.history, bounds: .init()) }

    @Test func attemptsThatStopAtTheReclaimPass() {
        var script = HistoryScript()
        script.claim(at: 5)
        script.append(1...3, from: 10)
        script.claim(attempt: 2, on: "pod-2", at: 400)
        script.append(1...8, attempt: 2, on: "pod-2", from: 410)
        #expect(check(script).validity == .pass)
    }

    @Test func aPausedOwnerWritingAfterTheReclaimFails() throws {
        var script = HistoryScript()
        script.claim(at: 5)
        script.append(1...3, from: 10)
        script.claim(attempt: 2, on: "pod-2", at: 400)
        script.append(4...6, from: 500)
        let violation = try #require(check(script).violations.first)
        #expect(violation.message == "thread t1 run r1: attempt 1 appended 3 chunks after attempt 2 was claimed on pod-2 at 400.0 ms, the first (seq 4 text-delta \"chunk-1 \") on pod-1 at 500.0 ms")
        #expect(violation.indices.map { script.history.events[$0].kind } == [.runReclaimed, .chunkAppended, .chunkAppended])
    }

    @Test func hostedUsesTheJournalsAttempt() throws {
        var script = HistoryScript("hosted")
        script.append(1...3, run: "f1", from: 10)
        script.claim(run: "f1", attempt: 2, on: "pod-3", at: 400)
        script.append(1...8, run: "f1", attempt: 2, on: "pod-3", from: 410)
        #expect(check(script).validity == .pass)
        script.append(4...4, run: "f1", from: 420)
        let violation = try #require(check(script).violations.first)
        #expect(violation.message.hasPrefix("thread t1 run f1: attempt 1 appended 1 chunks after attempt 2"))
    }
}
