import PodsimHistory
import Testing

@testable import PodsimCheckers

/// `parts` on hand-written journals: the persisted parts are the final attempt's, each once.
@Suite struct PartsCheckerTests {
    private func check(_ script: HistoryScript) -> Verdict { PartsChecker().check(script.history, bounds: .init()) }

    /// Run r1: attempt 1 dies after 5 chunks, attempt 2 completes on pod-2 (`chunk-1 chunk-2 `).
    private func reclaimed() -> HistoryScript {
        var script = HistoryScript()
        script.append(1...5, from: 10)
        script.claim(attempt: 2, on: "pod-2", at: 400)
        script.append(1...8, attempt: 2, on: "pod-2", from: 410)
        return script
    }

    /// Hosted, dedup-after-purge: the recovered attempt re-publishes seqs 1–5, the bus drops them
    /// as duplicates, and the projector keeps the dead attempt's text for them.
    private func spliced(recoveredText: String) -> HistoryScript {
        var script = HistoryScript("hosted")
        script.claim(on: "pod-2", at: 5)
        script.append(1...5, on: "pod-2", from: 10)
        script.claim(attempt: 2, on: "pod-2", at: 400)
        script.append(1...5, attempt: 2, on: "pod-2", from: 410, dropped: true, delta: recoveredText)
        script.append(6...8, attempt: 2, on: "pod-2", from: 460)
        script.project(["text:chunk-1 chunk-2 "], run: nil, message: "asst-r1", on: "pod-1", at: 500)
        script.finish(attempt: 2, on: "pod-1", at: 500)
        return script
    }

    @Test func hostedSpliceOfTwoAttemptsFails() throws {
        let violation = try #require(check(spliced(recoveredText: "again ")).violations.first)
        #expect(violation.message.contains("missing text \"again again \""), "\(violation.message)")
        #expect(violation.message.contains("extra text \"chunk-1 chunk-2 \""), "\(violation.message)")
    }

    @Test func hostedRepublishDroppedAsDuplicatesOfTheSameTextPasses() {
        var script = HistoryScript("hosted")
        script.claim(on: "pod-2", at: 5)
        script.append(1...5, on: "pod-2", from: 10)
        script.claim(attempt: 2, on: "pod-2", at: 400)
        script.append(1...5, attempt: 2, on: "pod-2", from: 410, dropped: true)
        script.append(6...8, attempt: 2, on: "pod-2", from: 460)
        script.project(["text:chunk-1 chunk-2 "], run: nil, message: "asst-r1", on: "pod-1", at: 500)
        script.finish(attempt: 2, on: "pod-1", at: 500)
        #expect(check(script).validity == .pass)
    }

    @Test func theFinalAttemptsPartsOncePass() {
        var script = reclaimed()
        script.project(["text:chunk-1 chunk-2 "], on: "pod-2", at: 500)
        script.finish(attempt: 2, on: "pod-2", at: 500)
        #expect(check(script).validity == .pass)
    }

    @Test func aSecondProjectionAfterTheTerminalWriteFails() throws {
        var script = reclaimed()
        script.project(["text:chunk-1 chunk-2 "], on: "pod-2", at: 500)
        script.finish(attempt: 2, on: "pod-2", at: 500)
        script.project(["text:chunk-1 chunk-2 "], on: "pod-2", at: 700)
        let violation = try #require(check(script).violations.first)
        #expect(violation.message == "thread t1 run r1 completed at 500.0 ms on pod-2 with 2 persisted parts for 1 in its final attempt 2: text \"chunk-1 chunk-2 \" projected again: by pod-2 at 500.0 ms, by pod-2 at 700.0 ms; extra text \"chunk-1 chunk-2 \"")
        #expect(violation.indices.map { script.history.events[$0].kind } == [.runFinished, .partsProjected, .partsProjected])
    }

    @Test func partsOfTheDeadAttemptFail() throws {
        var script = reclaimed()
        script.project(["text:chunk-1 chunk-2 ", "tool-search:call-1"], on: "pod-2", at: 500)
        script.finish(attempt: 2, on: "pod-2", at: 500)
        let violation = try #require(check(script).violations.first)
        #expect(violation.message.hasSuffix("extra tool-search call-1"))
    }

    @Test func missingTextFails() throws {
        var script = reclaimed()
        script.project(["text:chunk-1 "], on: "pod-2", at: 500)
        script.finish(attempt: 2, on: "pod-2", at: 500)
        let violation = try #require(check(script).violations.first)
        #expect(violation.message.hasSuffix("missing text \"chunk-1 chunk-2 \"; extra text \"chunk-1 \""))
    }

    @Test func aFailedRunIsNotJudged() {
        var script = reclaimed()
        script.finish(attempt: 2, state: "failed", on: "pod-2", at: 500)
        #expect(check(script).validity == .pass)
    }

    @Test func withoutProjectionsItIsUnknown() {
        var script = reclaimed()
        script.finish(attempt: 2, on: "pod-2", at: 500)
        #expect(check(script).validity == .unknown)
    }

    /// Hosted: step parts appended by message, then the terminal `replace` of the whole reply,
    /// a `finish` anchor included; the content is the chunks after the fence's last restart.
    @Test func hostedReplaceResetsTheStepParts() {
        var script = HistoryScript("hosted")
        script.append(1...7, run: "f1", from: 10)
        script.project(["text:chunk-1 chunk-2 "], run: nil, message: "asst-f1", at: 80)
        script.claim(run: "f1", attempt: 2, on: "pod-3", at: 400)
        script.append(1...8, run: "f1", attempt: 2, on: "pod-3", from: 410)
        script.project(["text:chunk-1 chunk-2 "], run: nil, message: "asst-f1", on: "pod-3", at: 480)
        script.project(["text:chunk-1 chunk-2 ", "finish:x"], run: nil, message: "asst-f1", replace: true, on: "pod-3", at: 500)
        script.finish(run: "f1", attempt: 2, on: "pod-3", at: 500)
        #expect(check(script).validity == .pass)
    }

    @Test func hostedCompletedWithNoRenderablePartsFails() throws {
        var script = HistoryScript("hosted")
        script.append(1...8, run: "f1", from: 10)
        script.project(["finish:x"], run: nil, message: "asst-f1", replace: true, at: 100)
        script.finish(run: "f1", at: 100)
        let violation = try #require(check(script).violations.first)
        #expect(violation.message.hasSuffix("with 0 persisted parts for 1 in its final attempt 1: missing text \"chunk-1 chunk-2 \""))
    }

    @Test func projectionsAreReadInlineOrFromABodyString() {
        let data = #"[{"type":"text","role":"user","text":"hi"},{"type":"text","text":"a"},{"type":"tool-x","body":"{\"toolCallId\":\"c\"}"},{"type":"step-start"}]"#
        #expect(ReplyPart.parts(ofProjection: data) == [.text("a"), .tool(name: "x", callId: "c")])
        #expect(ReplyPart.parts(ofProjection: "not json") == nil)
    }
}
