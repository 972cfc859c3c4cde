import Foundation
import PodsimMockAI
import PodsimModel
import Testing

@Suite struct MockAIServerTests {
    @Test func healthAndModels() async throws {
        try await withMockAI { ai in
            let health = try await ai.get("/health")
            #expect(health.status == 200)
            #expect(health.body == "ok")
            let models = try await ai.get("/v1/models")
            #expect(models.status == 200)
            #expect(models.contentType?.hasPrefix("application/json") == true)
            let model: JSONValue = ["id": "mock-model", "object": "model", "created": 0, "owned_by": "mock"]
            #expect(try models.json() == ["object": "list", "data": [model]])
        }
    }

    @Test func slowStreamSendsTheExactFrameSequence() async throws {
        try await withMockAI { ai in
            let start = ContinuousClock.now
            let stream = try await ai.chat(chatBody([userMessage("slow:3x10")]))
            #expect(ContinuousClock.now - start >= .milliseconds(30))
            #expect(stream.status == 200)
            #expect(stream.contentType == "text/event-stream")
            #expect(stream.failure == nil)
            #expect(stream.events.count == 6)
            #expect(stream.events.last == "[DONE]")
            let chunks = try stream.chunks()
            try #require(chunks.count == 5)
            let deltas = chunks.map { choice(of: $0)?["delta"] }
            let finishReasons = chunks.map { choice(of: $0)?["finish_reason"] }
            #expect(deltas == [["role": "assistant"], ["content": "chunk-1 "], ["content": "chunk-2 "], ["content": "chunk-3 "], [:]])
            #expect(finishReasons == [.null, .null, .null, .null, "stop"])
            let id = try #require(chunks[0]["id"]?.stringValue)
            #expect(id.hasPrefix("chatcmpl-"))
            for chunk in chunks {
                #expect(chunk["id"] == .string(id))
                #expect(chunk["object"] == "chat.completion.chunk")
                #expect(chunk["model"] == "mock-model")
                #expect(chunk["created"]?.numberValue != nil)
                #expect(choice(of: chunk)?["index"] == 0)
            }
        }
    }

    @Test func contentPartsAndDefaults() async throws {
        try await withMockAI { ai in
            let parts: JSONValue = [
                "role": "user", "content": [["type": "text", "text": "hi"], ["type": "text", "text": "slow:2x0"]],
            ]
            #expect(try await ai.chat(chatBody([parts])).contents() == ["chunk-1 ", "chunk-2 "])
            let defaults = try await ai.chat(["messages": "not a list"])
            #expect(try defaults.contents() == (1...5).map { "chunk-\($0) " })
            #expect(defaults.events.last == "[DONE]")
        }
    }

    @Test func stampIsTheCallStart() async throws {
        try await withMockAI { ai in
            let before = wallClockMillis()
            let stream = try await ai.chat(chatBody([userMessage("stamp slow:3x5")], thread: "s", pod: "p"))
            let after = wallClockMillis()
            let contents = try stream.contents()
            try #require(contents.count == 3)
            var stamps: Set<Int64> = []
            for (offset, content) in contents.enumerated() {
                let words = content.split(separator: " ", omittingEmptySubsequences: false)
                #expect(words.count == 3 && words[1] == "chunk-\(offset + 1)" && words[2] == "", "\(content)")
                #expect(words[0].hasPrefix("t"))
                stamps.insert(try #require(Int64(words[0].dropFirst())))
            }
            let stamp = try #require(stamps.count == 1 ? stamps.first : nil, "one stamp for the whole call")
            #expect((before...after).contains(stamp))
            let calls = try await ai.getJSON("/control/calls?thread=s")
            guard case .array(let records)? = calls["calls"] else { throw TestFailure("no calls in \(calls)") }
            #expect(records.first?["startedAt"]?.numberValue == Double(stamp))
        }
    }

    @Test func toolCallThenFollowUpText() async throws {
        try await withMockAI { ai in
            let user = userMessage("tool:bash slow:2x0")
            let first = try await ai.chat(chatBody([user], thread: "t", pod: "p"))
            #expect(first.failure == nil)
            #expect(first.events.count == 4)
            #expect(first.events.last == "[DONE]")
            let chunks = try first.chunks()
            try #require(chunks.count == 3)
            #expect(choice(of: chunks[0])?["delta"] == ["role": "assistant"])
            guard case .array(let calls)? = choice(of: chunks[1])?["delta"]?["tool_calls"], calls.count == 1 else {
                throw TestFailure("no tool call in \(chunks[1])")
            }
            let call = calls[0]
            let callId = try #require(call["id"]?.stringValue)
            #expect(callId.hasPrefix("call_"))
            #expect(call["index"] == 0)
            #expect(call["type"] == "function")
            #expect(call["function"]?["name"] == "bash")
            let arguments = try #require(call["function"]?["arguments"]?.stringValue)
            #expect(try JSONDecoder().decode(JSONValue.self, from: Data(arguments.utf8)) == ["command": "echo hello"])
            #expect(choice(of: chunks[2])?["finish_reason"] == "tool_calls")
            #expect(try first.contents().isEmpty)

            let assistant: JSONValue = [
                "role": "assistant", "content": nil,
                "tool_calls": [["id": .string(callId), "type": "function", "function": call["function"] ?? nil]],
            ]
            let toolResult: JSONValue = ["role": "tool", "tool_call_id": .string(callId), "content": "hello"]
            let second = try await ai.chat(chatBody([user, assistant, toolResult], thread: "t", pod: "p"))
            #expect(try second.contents() == ["chunk-1 ", "chunk-2 "])
            #expect(second.events.last == "[DONE]")

            let log = try await ai.getJSON("/control/calls?thread=t")
            guard case .array(let records)? = log["calls"] else { throw TestFailure("no calls in \(log)") }
            #expect(records.map { $0["kind"] } == ["tool_call", "text"])
        }
    }

    @Test func failAnswersTheStatusWithoutAStream() async throws {
        try await withMockAI { ai in
            let body = try JSONEncoder().encode(chatBody([userMessage("fail:503")], thread: "f", pod: "p"))
            let response = try await ai.post("/v1/chat/completions", body: String(decoding: body, as: UTF8.self))
            #expect(response.status == 503)
            #expect(response.contentType?.hasPrefix("application/json") == true)
            #expect(try response.json() == ["error": ["message": "mock failure 503", "type": "mock_error"]])
            let count = try await ai.getJSON("/control/calls/count?thread=f")
            #expect(count == ["count": 1])
            let log = try await ai.getJSON("/control/calls?thread=f")
            guard case .array(let records)? = log["calls"] else { throw TestFailure("no calls in \(log)") }
            #expect(records.first?["kind"] == "fail")
        }
    }

    @Test func cutDropsTheConnectionAfterKChunks() async throws {
        try await withMockAI { ai in
            let stream = try await ai.chat(chatBody([userMessage("cut:2 slow:5x0")]))
            #expect(stream.status == 200)
            #expect(try stream.contents() == ["chunk-1 ", "chunk-2 "])
            #expect(stream.events.count == 3)
            #expect(!stream.events.contains("[DONE]"))
            #expect(stream.failure != nil, "the body must end in an error, not cleanly")
        }
    }

    @Test func holdWaitsForTheGateRelease() async throws {
        try await withMockAI { ai in
            let seen = SeenEvents()
            async let held = ai.chat(chatBody([userMessage("hold:g slow:3x0")])) { await seen.append($0) }
            let waiting = try await eventually {
                let gates = try await ai.getJSON("/control/gates")
                return gates == ["gates": [["name": "g", "released": false, "waiting": 1]]]
            }
            #expect(waiting, "the stream should be waiting on gate g")
            #expect(try await eventually { await seen.payloads.count == 2 })
            let before = await seen.payloads
            #expect(before.count == 2)
            #expect(before.last?.contains("chunk-1 ") == true)
            #expect(!before.contains { $0.contains("chunk-2") })

            let release = try await ai.post("/control/gates/g/release")
            #expect(release.status == 200)
            #expect(try release.json() == ["released": "g"])
            let stream = try await held
            #expect(try stream.contents() == ["chunk-1 ", "chunk-2 ", "chunk-3 "])
            #expect(stream.events.last == "[DONE]")
            #expect(try await ai.getJSON("/control/gates") == ["gates": [["name": "g", "released": true, "waiting": 0]]])
        }
    }

    @Test func gateReleasedEarlyDoesNotStop() async throws {
        try await withMockAI { ai in
            #expect(try await ai.post("/control/gates/early/release").status == 200)
            let stream = try await ai.chat(chatBody([userMessage("hold:early@1 slow:2x0")]))
            #expect(try stream.contents() == ["chunk-1 ", "chunk-2 "])
            #expect(stream.events.last == "[DONE]")
        }
    }

    @Test func callLogFiltersByThreadAndCounts() async throws {
        try await withMockAI { ai in
            _ = try await ai.chat(chatBody([userMessage("slow:1x0")], thread: "A", pod: "p1"))
            _ = try await ai.chat(chatBody([userMessage("slow:1x0 stamp")], thread: "B", pod: "p2"))
            _ = try await ai.chat(chatBody([userMessage("fail:500")], thread: "A", pod: "p2"))
            _ = try await ai.chat(chatBody([userMessage("earlier"), userMessage("cut:0")]))

            let all = try await ai.getJSON("/control/calls")
            guard case .array(let records)? = all["calls"] else { throw TestFailure("no calls in \(all)") }
            #expect(records.map { $0["index"] } == [1, 2, 3, 4])
            #expect(records.map { $0["threadId"] } == ["A", "B", "A", .null])
            #expect(records.map { $0["pod"] } == ["p1", "p2", "p2", .null])
            #expect(records.map { $0["hints"] } == ["slow:1x0", "slow:1x0 stamp", "fail:500", "cut:0"])
            #expect(records.map { $0["kind"] } == ["text", "text", "fail", "cut"])
            let starts = records.compactMap { $0["startedAt"]?.numberValue }
            #expect(starts.count == 4 && starts == starts.sorted())
            #expect(try await ai.get("/control/calls").body.contains(#""threadId":null"#))

            let threadA = try await ai.getJSON("/control/calls?thread=A")
            guard case .array(let onlyA)? = threadA["calls"] else { throw TestFailure("no calls in \(threadA)") }
            #expect(onlyA.map { $0["index"] } == [1, 3])
            #expect(try await ai.getJSON("/control/calls/count?thread=A") == ["count": 2])
            #expect(try await ai.getJSON("/control/calls/count?thread=B") == ["count": 1])
            #expect(try await ai.getJSON("/control/calls/count?thread=nobody") == ["count": 0])
            #expect(try await ai.getJSON("/control/calls/count") == ["count": 4])
        }
    }

    @Test func theCallLogTiesEachCallToItsRunAndTimesIt() async throws {
        try await withMockAI { ai in
            func call(_ hints: String, step: Int) -> JSONValue {
                [
                    "model": "mock-model", "stream": true, "messages": [userMessage(hints)],
                    "metadata": ["thread_id": "R", "pod": "pod-2", "run": "17", "attempt": 2, "step": .number(Double(step))],
                ]
            }
            _ = try await ai.chat(call("slow:2x5", step: 1))
            _ = try await ai.chat(call("fail:503", step: 2))

            let ended = try await eventually {
                try await calls(ai, thread: "R").allSatisfy { $0.endedNanos != nil }
            }
            #expect(ended)
            let log = try await calls(ai, thread: "R")
            #expect(log.map(\.run) == ["17", "17"])
            #expect(log.map(\.attempt) == [2, 2])
            #expect(log.map(\.step) == [1, 2])
            #expect(log.map(\.pod) == ["pod-2", "pod-2"])
            #expect(log.map(\.status) == [200, 503])
            #expect(log.map(\.kind) == ["text", "fail"])
            #expect(log.allSatisfy { $0.startedNanos <= $0.endedNanos ?? 0 })
            #expect(log[0].startedNanos < log[1].startedNanos)
            #expect(try #require(log[0].endedNanos) - log[0].startedNanos >= 5_000_000, "the stream paused 5 ms twice")
        }
    }

    private func calls(_ ai: MockAIClient, thread: String) async throws -> [MockAIControl.Call] {
        let body = try await ai.get(MockAIControl.callsPath(thread: thread)).body
        return try JSONDecoder().decode(MockAIControl.CallList.self, from: Data(body.utf8)).calls
    }

    @Test func resetClearsCallsAndGates() async throws {
        try await withMockAI { ai in
            _ = try await ai.chat(chatBody([userMessage("slow:1x0")], thread: "r", pod: "p"))
            _ = try await ai.post("/control/gates/old/release")
            let reset = try await ai.post("/control/reset")
            #expect(reset.status == 200)
            #expect(try reset.json() == ["reset": true])
            #expect(try await ai.getJSON("/control/calls") == ["calls": []])
            #expect(try await ai.getJSON("/control/gates") == ["gates": []])
            _ = try await ai.chat(chatBody([userMessage("slow:1x0")], thread: "r", pod: "p"))
            let log = try await ai.getJSON("/control/calls")
            guard case .array(let records)? = log["calls"] else { throw TestFailure("no calls in \(log)") }
            #expect(records.map { $0["index"] } == [1])
        }
    }

    @Test func malformedJSONIsABadRequestAndNotLogged() async throws {
        try await withMockAI { ai in
            let response = try await ai.post("/v1/chat/completions", body: #"{"messages": [ "#)
            #expect(response.status == 400)
            let error = try response.json()
            #expect(error["error"]?["type"] == "invalid_request_error")
            #expect(error["error"]?["message"]?.stringValue?.isEmpty == false)
            #expect(try await ai.getJSON("/control/calls/count") == ["count": 0])
            #expect(try await ai.get("/health").status == 200)
        }
    }

    @Test func refusesANonLoopbackHost() async throws {
        await #expect(throws: MockAIError.self) {
            try await runMockAI(MockAIConfiguration(host: "0.0.0.0"))
        }
    }
}
