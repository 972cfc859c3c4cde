import Foundation
import PodsimModel
import Testing

@testable import PodsimMockAI

@Suite struct ChatCompletionScriptTests {
    private func script(_ messages: [JSONValue], startedAt: Int64 = 1_732_512_345_678) -> ChatCompletionScript {
        ChatCompletionScript(request: ChatRequest(json: chatBody(messages)), startedAt: startedAt)
    }

    private func steps(of script: ChatCompletionScript) async throws -> [ChatCompletionScript.Step] {
        var steps: [ChatCompletionScript.Step] = []
        try await script.play { steps.append($0) }
        return steps
    }

    /// The `data:` payload of a `.send` step.
    private func payload(_ step: ChatCompletionScript.Step) -> String? {
        guard case .send(let text) = step else { return nil }
        var parser = SSEParser()
        guard case .data(let payload, _)? = parser.feed(Array(text.utf8)).first else { return nil }
        return payload
    }

    private func delta(_ step: ChatCompletionScript.Step) throws -> JSONValue? {
        guard let payload = payload(step), payload != "[DONE]" else { return nil }
        return choice(of: try JSONDecoder().decode(JSONValue.self, from: Data(payload.utf8)))?["delta"]
    }

    @Test func textStreamPausesBeforeEveryChunk() async throws {
        let steps = try await steps(of: script([userMessage("slow:2x30")]))
        #expect(steps.count == 7)
        #expect(try delta(steps[0]) == ["role": "assistant"])
        #expect(steps[1] == .pause(milliseconds: 30))
        #expect(try delta(steps[2]) == ["content": "chunk-1 "])
        #expect(steps[3] == .pause(milliseconds: 30))
        #expect(try delta(steps[4]) == ["content": "chunk-2 "])
        #expect(try delta(steps[5]) == [:])
        #expect(payload(steps[6]) == "[DONE]")
    }

    @Test func zeroDelayHasNoPauses() async throws {
        let steps = try await steps(of: script([userMessage("many:3 slow:3x0")]))
        #expect(!steps.contains { if case .pause = $0 { true } else { false } })
        #expect(steps.count == 6)
    }

    @Test func holdWaitsBeforeItsChunkAndCutDrops() async throws {
        let script = script([userMessage("slow:4x0 hold:g@2 cut:3")])
        #expect(script.kind == .cut)
        let steps = try await steps(of: script)
        #expect(steps.count == 6)
        #expect(try delta(steps[1]) == ["content": "chunk-1 "])
        #expect(steps[2] == .waitForGate("g"))
        #expect(try delta(steps[3]) == ["content": "chunk-2 "])
        #expect(try delta(steps[4]) == ["content": "chunk-3 "])
        #expect(steps[5] == .dropConnection)
    }

    @Test func holdBeyondTheLastChunkNeverWaits() async throws {
        let steps = try await steps(of: script([userMessage("slow:2x0 hold:g@3")]))
        #expect(!steps.contains(.waitForGate("g")))
        #expect(payload(steps[steps.count - 1]) == "[DONE]")
    }

    @Test func cutBeyondTheLastChunkStillDrops() async throws {
        let steps = try await steps(of: script([userMessage("slow:2x0 cut:9")]))
        #expect(steps.count == 4)
        #expect(steps.last == .dropConnection)
    }

    @Test func stampUsesTheCallStart() async throws {
        let steps = try await steps(of: script([userMessage("stamp slow:1x0")], startedAt: 1_732_512_345_678))
        #expect(try delta(steps[1]) == ["content": "t1732512345678 chunk-1 "])
    }

    @Test(arguments: [
        ("read", #"{"path":"/tmp/x"}"#),
        ("write", #"{"path":"/tmp/x","content":"hi"}"#),
        ("bash", #"{"command":"echo hello"}"#),
    ])
    func toolArgumentsDependOnTheToolName(name: String, arguments: String) async throws {
        let script = script([userMessage("tool:\(name) slow:3x0")])
        #expect(script.kind == .toolCall)
        let steps = try await steps(of: script)
        #expect(steps.count == 4)
        guard case .array(let calls)? = try delta(steps[1])?["tool_calls"], let call = calls.first else {
            Issue.record("no tool call in \(steps[1])")
            return
        }
        #expect(call["function"]?["name"] == .string(name))
        #expect(call["function"]?["arguments"] == .string(arguments))
        #expect(call["id"] == .string(script.toolCallId))
        #expect(script.toolCallId.hasPrefix("call_"))
    }

    @Test func toolResultAfterTheLastUserMessageMeansText() {
        let followUp = script([
            userMessage("tool:bash"),
            ["role": "assistant", "content": nil],
            ["role": "tool", "content": "hello", "tool_call_id": "call_1"],
        ])
        #expect(followUp.kind == .text)
        let newTurn = script([
            userMessage("tool:bash"),
            ["role": "tool", "content": "hello"],
            userMessage("tool:bash again"),
        ])
        #expect(newTurn.kind == .toolCall)
    }

    @Test func failureHasNoStream() async throws {
        let script = script([userMessage("fail:429 tool:bash cut:1")])
        #expect(script.kind == .fail)
        #expect(script.answer == .failure(status: 429))
        #expect(try await steps(of: script).isEmpty)
    }

    @Test func requestIsReadLeniently() {
        let parts = ChatRequest(json: [
            "messages": [
                ["role": "user", "content": [["type": "text", "text": "slow:1x0"], ["type": "text", "text": "stamp"]]],
                ["role": "assistant", "content": 42],
            ],
            "metadata": ["thread_id": "t-1", "pod": 7],
        ])
        #expect(parts.lastUserText == "slow:1x0\nstamp")
        #expect(parts.threadId == "t-1")
        #expect(parts.pod == nil)
        #expect(parts.messages[1].text == "")
        #expect(ChatRequest(json: ["messages": "nope"]).messages.isEmpty)
        #expect(ChatRequest(json: [1, 2]).lastUserText == "")
    }
}
