import PodsimModel
import Testing

@testable import PodsimPod

@Suite struct HostedPiecesTests {
    @Test(arguments: [
        ("provider returned 402: payment required", "credits"),
        ("Daemon unreachable after 3 tries", "sandbox_unreachable"),
        ("Error: Cancelled", "cancelled"),
        ("provider returned 429: slow down", "overloaded"),
        ("Rate-limit reached", "overloaded"),
        ("prompt exceeds the maximum context", "context_length"),
        ("provider returned 500: boom", "model_error"),
        ("connect ETIMEDOUT", "timeout"),
        ("", "error"),
        ("something odd", "error"),
    ])
    func theClassifierTriesItsPatternsInOrder(text: String, kind: String) {
        #expect(FailureClassifier.classify(text).kind == kind)
    }

    @Test func framesAreByteExact() {
        #expect(HostedFrames.waitingRunner == #"{"type":"data-run-status","id":"run-status","data":{"stage":"waiting-runner"}}"#)
        #expect(HostedFrames.userMessage(id: "m1", text: #"say "hi"/bye"#)
            == #"{"type":"data-user-message","data":{"id":"m1","role":"user","parts":[{"type":"text","text":"say \"hi\"/bye"}]}}"#)
        #expect(HostedFrames.liveness(at: 42) == #"{"type":"data-liveness","data":{"t":42},"transient":true}"#)
        #expect(HostedFrames.done(finalSeq: 7) == #"{"done":true,"finalSeq":7}"#)
        #expect(HostedFrames.finalSeq(ofDoneBody: HostedFrames.done(finalSeq: 7)) == 7)
        #expect(HostedFrames.finalSeq(ofDoneBody: #"{"type":"finish"}"#) == nil)
    }

    @Test func onlyDoneMarkersAreSwallowed() {
        #expect(HostedFrames.isDoneMarker(HostedFrames.done(finalSeq: 3)))
        #expect(HostedFrames.isDoneMarker(#"{"done":true}"#))
        #expect(!HostedFrames.isDoneMarker(#"{"type":"text-delta","id":"t","delta":"\"done\":true"}"#))
        #expect(!HostedFrames.isDoneMarker(#"{"type":"data-done","done":true}"#))
        #expect(!HostedFrames.isDoneMarker(HostedFrames.waitingRunner))
        #expect(!HostedFrames.isDoneMarker("not json \"done\""))
    }

    @Test func fencedIDsParseOnlyForTheirOwnFence() {
        #expect(HostedFrames.parse(msgId: "t:1:f:12", threadId: "t:1", fence: "f") == .chunk(seq: 12))
        #expect(HostedFrames.parse(msgId: "t:1:f:done:12", threadId: "t:1", fence: "f") == .done(finalSeq: 12))
        #expect(HostedFrames.parse(msgId: "t:1:g:12", threadId: "t:1", fence: "f") == nil)
        #expect(HostedFrames.parse(msgId: nil, threadId: "t:1", fence: "f") == nil)
    }

    /// The `dedup-after-purge` candidate fix: a recovered attempt's ids differ from the dead
    /// attempt's (so the duplicate window cannot drop them) and still parse as the fence's seqs.
    @Test func attemptScopedIDsAreNewAndParseAsTheSameSeq() {
        let first = HostedFrames.chunkID(threadId: "t:1", fence: "f", seq: 3)
        let recovered = HostedFrames.chunkID(threadId: "t:1", fence: "f", attempt: 1, seq: 3)
        #expect(first == "t:1:f:3")
        #expect(recovered == "t:1:f:r1:3")
        #expect(HostedFrames.chunkID(threadId: "t:1", fence: "f", attempt: 0, seq: 3) != recovered)
        #expect(HostedFrames.parse(msgId: recovered, threadId: "t:1", fence: "f") == .chunk(seq: 3))
        #expect(HostedFrames.doneID(threadId: "t:1", fence: "f", attempt: 2, finalSeq: 9) == "t:1:f:r2:done:9")
        #expect(HostedFrames.parse(msgId: "t:1:f:r2:done:9", threadId: "t:1", fence: "f") == .done(finalSeq: 9))
        #expect(HostedFrames.parse(msgId: "t:1:f:rx:3", threadId: "t:1", fence: "f") == nil)
    }

    @Test func theLivenessReasonPrintsMinutesOrShortSeconds() {
        #expect(RunProjector.idleText(millis: 120_000) == "2m")
        #expect(RunProjector.idleText(millis: 600_000) == "10m")
        #expect(RunProjector.idleText(millis: 6000) == "6s")
    }

    @Test func aProjectionWritesStepPartsThenTheFinalSnapshot() throws {
        var projection = Projection(threadId: "t", messageId: "asst-f", pod: "pod-1")
        projection.base = 1000
        let chunks: [UIChunk] = [
            .start(messageId: "asst-f"), .startStep, .textStart(id: "x"), .textDelta(id: "x", delta: "a"), .textDelta(id: "x", delta: "b"),
            .textEnd(id: "x"), .toolInputAvailable(toolCallId: "c", toolName: "search", input: "q"),
            .toolOutputAvailable(toolCallId: "c", output: "ok"),
        ]
        for chunk in chunks { #expect(projection.apply(body: try chunk.storedBody()) == nil) }
        #expect(projection.apply(body: #"{"type":"data-liveness","data":{"t":1},"transient":true}"#) == nil)
        let step = try #require(projection.apply(body: try UIChunk.finishStep.storedBody()))
        #expect(step.map(\.type) == ["text", "tool-search"])
        #expect(step.map(\.key) == ["t:asst-f:0", "t:asst-f:1"] && step.map(\.createdAt) == [1000, 1001])
        #expect(step[0].body == #"{"text":"ab"}"#)
        _ = projection.apply(body: try UIChunk.finish.storedBody())
        #expect(projection.finished)
        #expect(projection.finalParts().map(\.type) == ["text", "tool-search", "finish"])
        #expect(projection.finalParts().last?.key == "t:asst-f:2")
    }

    /// The children outlive their cancellation by a moment, as a real child finishing its writes does.
    @Test func aCancelAbortsTheLocalChildAndANewerFenceSupersedesIt() async throws {
        let runs = HostedRuns()
        #expect(await runs.cancel(threadId: "t") == false)
        await runs.start(threadId: "t", fence: "f1", startedAt: 0) { await Task.detached { try? await Task.sleep(for: .milliseconds(500)) }.value }
        #expect(await runs.count == 1)
        #expect(await runs.cancel(threadId: "t"))
        #expect(await runs.abortReason(threadId: "t", fence: "f1") == .cancelled)
        await runs.start(threadId: "t", fence: "f2", startedAt: 0) { await Task.detached { try? await Task.sleep(for: .milliseconds(500)) }.value }
        #expect(await runs.abortReason(threadId: "t", fence: "f1") == .superseded)
        #expect(await runs.abortReason(threadId: "t", fence: "f2") == nil)
        await runs.abortAll(timeout: .seconds(2))
        #expect(await runs.count == 0)
    }
}
