import PodsimModel
import Testing

@Suite struct UIChunkStoredBodyTests {
    static let every: [UIChunk] = [
        .start(messageId: "msg-1"), .start(messageId: nil), .startStep, .textStart(id: "t"), .textDelta(id: "t", delta: "a/b \"quoted\" ✓"),
        .textEnd(id: "t"), .toolInputAvailable(toolCallId: "c", toolName: "bash", input: ["cmd": "ls", "n": 2]),
        .toolOutputAvailable(toolCallId: "c", output: ["ok": true]), .toolOutputError(toolCallId: "c", errorText: "boom"),
        .finishStep, .finish, .error(errorText: "bad"), .abort,
        .other(["type": "data-liveness", "data": ["t": 1_700_000_000_999], "transient": true]),
    ]

    @Test(arguments: every) func everyChunkSurvivesTheLog(_ chunk: UIChunk) throws {
        #expect(try UIChunk(storedBody: try chunk.storedBody()) == chunk)
    }

    /// Frames of types this enum does not name (the hosted profile's stage frames, user mirror
    /// and liveness beats) are kept whole, with their type, rather than refused.
    @Test func aChunkOfAnotherTypeIsKeptWhole() throws {
        let stage = #"{"data":{"stage":"starting-run"},"id":"run-status","type":"data-run-status"}"#
        let chunk = try UIChunk(storedBody: stage)
        #expect(chunk.type == "data-run-status")
        #expect(chunk == .other(["type": "data-run-status", "id": "run-status", "data": ["stage": "starting-run"]]))
        #expect(try chunk.storedBody() == stage)
        #expect(try UIChunk(storedBody: #"{"type":"abort"}"#) == .abort)
        #expect(throws: DecodingError.self) { try UIChunk(storedBody: #"{"delta":"no type"}"#) }
    }

    @Test func theStoredBodyIsCompactWithSortedKeysAndUnescapedSlashes() throws {
        #expect(try UIChunk.textDelta(id: "t/1", delta: "x").storedBody() == #"{"delta":"x","id":"t/1","type":"text-delta"}"#)
        #expect(try UIChunk.finish.storedBody() == #"{"type":"finish"}"#)
    }
}
