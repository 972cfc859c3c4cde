import PodsimModel
import Testing

@Suite struct UIChunkStoredBodyTests {
    static let every: [UIChunk] = [
        .start(messageId: "msg-1"), .start(messageId: nil), .startStep, .textStart(id: "t"), .textDelta(id: "t", delta: "a/b \"quoted\" ✓"),
        .textEnd(id: "t"), .toolInputAvailable(toolCallId: "c", toolName: "bash", input: ["cmd": "ls", "n": 2]),
        .toolOutputAvailable(toolCallId: "c", output: ["ok": true]), .toolOutputError(toolCallId: "c", errorText: "boom"),
        .finishStep, .finish, .error(errorText: "bad"), .abort,
    ]

    @Test(arguments: every) func everyChunkSurvivesTheLog(_ chunk: UIChunk) throws {
        #expect(try UIChunk(storedBody: try chunk.storedBody()) == chunk)
    }

    @Test func theStoredBodyIsCompactWithSortedKeysAndUnescapedSlashes() throws {
        #expect(try UIChunk.textDelta(id: "t/1", delta: "x").storedBody() == #"{"delta":"x","id":"t/1","type":"text-delta"}"#)
        #expect(try UIChunk.finish.storedBody() == #"{"type":"finish"}"#)
    }
}
