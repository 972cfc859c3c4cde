import PodsimModel
@testable import PodsimStore
import Testing

@testable import PodsimPod

@Suite struct ProjectorTests {
    private func log(_ chunks: [UIChunk], seqs: [Int]? = nil) throws -> [StoredChunk] {
        try zip(seqs ?? Array(1...chunks.count), chunks).enumerated().map { index, pair in
            StoredChunk(
                id: Int64(index + 1), threadId: "t", runId: 7, attempt: 1, seq: pair.0, pod: "pod-1", body: try pair.1.storedBody(),
                createdAt: 0)
        }
    }

    @Test func aFinishedTurnBecomesTextAndToolParts() throws {
        let chunks = try log([
            .start(messageId: "m"), .startStep, .textStart(id: "a"), .textDelta(id: "a", delta: "Hel"), .textDelta(id: "a", delta: "lo"),
            .textEnd(id: "a"), .toolInputAvailable(toolCallId: "c", toolName: "bash", input: ["cmd": "ls"]),
            .toolOutputAvailable(toolCallId: "c", output: ["stdout": "x"]), .finishStep, .finish,
        ])
        let projection = Projector.project(chunks, threadId: "t", runId: 7, pod: "pod-1")
        #expect(projection.state == .completed)
        #expect(projection.error == nil)
        #expect(projection.parts.map(\.type) == ["text", "tool-bash"])
        #expect(projection.parts[0].body == #"{"text":"Hello"}"#)
        #expect(projection.parts[1].body.contains(#""state":"output-available""#))
        #expect(projection.parts.allSatisfy { $0.runId == 7 && $0.pod == "pod-1" && $0.role == "assistant" })
    }

    @Test func aHoleInTheSequenceFailsTheRunInsteadOfTruncatingIt() throws {
        let chunks = try log([.start(messageId: nil), .textStart(id: "a"), .finish], seqs: [1, 3, 4])
        let projection = Projector.project(chunks, threadId: "t", runId: 7, pod: "pod-1")
        #expect(projection.state == .failed)
        #expect(projection.error == "missing seq 2")
        #expect(projection.parts.map(\.type) == ["error"])
    }

    @Test func aTurnWithoutFinishFailsAndKeepsItsOpenText() throws {
        let projection = Projector.project(
            try log([.start(messageId: nil), .textStart(id: "a"), .textDelta(id: "a", delta: "half")]), threadId: "t", runId: 7, pod: "p")
        #expect(projection.state == .failed)
        #expect(projection.error == "run ended without finish")
        #expect(projection.parts.map(\.body) == [#"{"text":"half"}"#])
    }

    @Test func anAbortIsACancelledRunAndAnErrorIsRecorded() throws {
        let aborted = Projector.project(try log([.start(messageId: nil), .abort]), threadId: "t", runId: 7, pod: "p")
        #expect(aborted.state == .failed && aborted.error == "cancelled")
        let failed = Projector.project(try log([.start(messageId: nil), .error(errorText: "provider down")]), threadId: "t", runId: 7, pod: "p")
        #expect(failed.state == .failed && failed.error == "provider down")
        #expect(failed.parts.map(\.type) == ["error"])
    }
}
