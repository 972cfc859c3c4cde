import Foundation
import PodsimModel

/// What kind of answer a call got, as reported by the control API.
enum CallKind: String, Codable, Sendable {
    case text
    case toolCall = "tool_call"
    case fail
    case cut
}

/// The answer to one chat completion call, decided up front from the request and its hints so
/// the HTTP layer only plays it back and the frames can be checked without a network.
struct ChatCompletionScript: Sendable {
    /// One thing the HTTP layer does while streaming.
    enum Step: Sendable, Equatable {
        /// Write this SSE text as is.
        case send(String)
        case pause(milliseconds: Int)
        case waitForGate(String)
        /// Close the connection without finishing the body.
        case dropConnection
    }

    enum Answer: Sendable, Equatable {
        /// A JSON error with this status instead of a stream.
        case failure(status: Int)
        /// A stream that asks for this tool.
        case toolCall(name: String)
        /// A stream of text chunks.
        case text
    }

    let hints: MockAIHints
    let answer: Answer
    /// The `id` of every chunk of this completion.
    let completionId: String
    /// The `id` of the tool call, when the answer is one.
    let toolCallId: String
    /// Wall-clock epoch milliseconds at which the call arrived.
    let startedAt: Int64

    init(request: ChatRequest, startedAt: Int64) {
        let hints = MockAIHints(parsing: request.lastUserText)
        self.hints = hints
        self.startedAt = startedAt
        let unique = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        completionId = "chatcmpl-\(unique)"
        toolCallId = "call_\(unique.prefix(24))"
        if let status = hints.failStatus {
            answer = .failure(status: status)
        } else if let name = hints.toolName, !request.hasToolResultAfterLastUser {
            answer = .toolCall(name: name)
        } else {
            answer = .text
        }
    }

    var kind: CallKind {
        switch answer {
        case .failure: .fail
        case .toolCall: .toolCall
        case .text: hints.cutAfter == nil ? .text : .cut
        }
    }

    /// The JSON error body of a `.failure` answer.
    static func failureBody(status: Int) throws -> String {
        try MockJSON.text(MockJSON.error(message: "mock failure \(status)", type: "mock_error"))
    }

    /// Hands the stream's steps to `perform` one at a time, in order, so arbitrarily long streams
    /// never exist in memory as a whole. A `.failure` answer has no steps.
    func play(_ perform: (Step) async throws -> Void) async throws {
        switch answer {
        case .failure:
            return
        case .toolCall(let name):
            try await perform(.send(frame(delta: ["role": "assistant"])))
            if hints.delayMillis > 0 { try await perform(.pause(milliseconds: hints.delayMillis)) }
            try await perform(.send(frame(delta: toolCallDelta(name: name))))
            try await perform(.send(frame(delta: [:], finishReason: "tool_calls")))
            try await perform(.send(SSE.frame("[DONE]")))
        case .text:
            try await perform(.send(frame(delta: ["role": "assistant"])))
            let sent = min(hints.cutAfter ?? hints.chunkCount, hints.chunkCount)
            let stampPrefix = hints.stamp ? "t\(startedAt) " : ""
            for index in stride(from: 1, through: sent, by: 1) {
                if index == hints.holdBeforeChunk, let gate = hints.holdGate {
                    try await perform(.waitForGate(gate))
                }
                if hints.delayMillis > 0 { try await perform(.pause(milliseconds: hints.delayMillis)) }
                try await perform(.send(frame(delta: ["content": .string("\(stampPrefix)chunk-\(index) ")])))
            }
            if hints.cutAfter != nil {
                try await perform(.dropConnection)
                return
            }
            try await perform(.send(frame(delta: [:], finishReason: "stop")))
            try await perform(.send(SSE.frame("[DONE]")))
        }
    }

    private func toolCallDelta(name: String) -> JSONValue {
        let arguments =
            switch name {
            case "read": #"{"path":"/tmp/x"}"#
            case "write": #"{"path":"/tmp/x","content":"hi"}"#
            default: #"{"command":"echo hello"}"#
            }
        let call: JSONValue = [
            "index": 0,
            "id": .string(toolCallId),
            "type": "function",
            "function": ["name": .string(name), "arguments": .string(arguments)],
        ]
        return ["tool_calls": [call]]
    }

    /// One `chat.completion.chunk` SSE frame.
    private func frame(delta: JSONValue, finishReason: String? = nil) throws -> String {
        let choice: JSONValue = [
            "index": 0,
            "delta": delta,
            "finish_reason": finishReason.map { .string($0) } ?? .null,
        ]
        let chunk: JSONValue = [
            "id": .string(completionId),
            "object": "chat.completion.chunk",
            "created": .number(Double(startedAt / 1000)),
            "model": "mock-model",
            "choices": [choice],
        ]
        return SSE.frame(try MockJSON.text(chunk))
    }
}

/// The one JSON encoding every mock response uses: compact, keys sorted so output is stable.
enum MockJSON {
    static func data(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    static func text(_ value: some Encodable) throws -> String {
        String(decoding: try data(value), as: UTF8.self)
    }

    /// The OpenAI error shape: `{"error":{"message":…,"type":…}}`.
    static func error(message: String, type: String) -> JSONValue {
        ["error": ["message": .string(message), "type": .string(type)]]
    }
}
