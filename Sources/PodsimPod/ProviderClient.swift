import AsyncHTTPClient
import Foundation
import NIOCore
import PodsimModel

/// A message in the OpenAI chat format the provider speaks.
struct ProviderMessage: Codable, Sendable {
    var role: String
    var content: String?
    var toolCalls: [ProviderToolCall]?
    var toolCallId: String?

    enum CodingKeys: String, CodingKey {
        case role, content
        case toolCalls = "tool_calls"
        case toolCallId = "tool_call_id"
    }
}

/// A tool call the provider asked for.
struct ProviderToolCall: Codable, Sendable, Equatable {
    struct Function: Codable, Sendable, Equatable {
        var name: String
        var arguments: String
    }

    var id: String
    var type: String = "function"
    var function: Function
}

/// Why a provider call did not finish normally.
enum ProviderError: Error, CustomStringConvertible {
    case status(Int, String)
    case incomplete(String)

    var description: String {
        switch self {
        case .status(let code, let message): "provider answered \(code): \(message)"
        case .incomplete(let detail): "provider stream ended early: \(detail)"
        }
    }
}

/// Streams one chat completion from the OpenAI-compatible provider.
struct ProviderClient: Sendable {
    let baseURL: String
    let http: HTTPClient
    let podName: String

    private struct RequestBody: Encodable {
        struct Metadata: Encodable {
            var threadId: String
            var pod: String
            var run: String
            var attempt: Int
            var step: Int
            enum CodingKeys: String, CodingKey {
                case threadId = "thread_id"
                case pod, run, attempt, step
            }
        }

        var model = "mock-model"
        var stream = true
        var messages: [ProviderMessage]
        var metadata: Metadata
    }

    private struct StreamChunk: Decodable {
        struct Choice: Decodable {
            struct Delta: Decodable {
                var content: String?
                var toolCalls: [PartialToolCall]?
                enum CodingKeys: String, CodingKey {
                    case content
                    case toolCalls = "tool_calls"
                }
            }

            var delta: Delta?
            var finishReason: String?
            enum CodingKeys: String, CodingKey {
                case delta
                case finishReason = "finish_reason"
            }
        }

        var choices: [Choice]
    }

    private struct PartialToolCall: Decodable {
        struct Function: Decodable {
            var name: String?
            var arguments: String?
        }

        var index: Int?
        var id: String?
        var function: Function?
    }

    /// Streams the completion, handing each text delta to `onText`; returns the tool call the
    /// provider asked for, if any. `run`, `attempt` and `step` (the 1-based model call within the
    /// attempt) go to the provider as metadata, so its call log ties each call to a run.
    func complete(
        messages: [ProviderMessage], threadId: String, run: String, attempt: Int, step: Int, onText: ([String]) async throws -> Void
    ) async throws -> ProviderToolCall? {
        var request = HTTPClientRequest(url: baseURL + "/v1/chat/completions")
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        let body = RequestBody(messages: messages, metadata: .init(threadId: threadId, pod: podName, run: run, attempt: attempt, step: step))
        request.body = .bytes(ByteBuffer(data: try JSONEncoder().encode(body)))
        let response = try await http.execute(request, timeout: .seconds(10))
        guard response.status == .ok else {
            let text = (try? await response.body.collect(upTo: 64 * 1024)).map { String(buffer: $0) } ?? ""
            throw ProviderError.status(Int(response.status.code), text)
        }
        var parser = SSEParser()
        var toolID: String?
        var toolName: String?
        var toolArguments = ""
        var done = false
        do {
            let decoder = JSONDecoder()
            for try await buffer in response.body {
                var texts: [String] = []
                for event in parser.feed(buffer.readableBytesView) {
                    guard case .data(let payload, _) = event else { continue }
                    if payload == "[DONE]" {
                        done = true
                        continue
                    }
                    guard let chunk = try? decoder.decode(StreamChunk.self, from: Data(payload.utf8)) else { continue }
                    for choice in chunk.choices {
                        if let content = choice.delta?.content, !content.isEmpty { texts.append(content) }
                        for call in choice.delta?.toolCalls ?? [] {
                            toolID = call.id ?? toolID
                            toolName = call.function?.name ?? toolName
                            toolArguments += call.function?.arguments ?? ""
                        }
                    }
                }
                do {
                    if !texts.isEmpty { try await onText(texts) }
                } catch {
                    throw ConsumerFailure(error: error)
                }
            }
        } catch let error as CancellationError {
            throw error
        } catch let failure as ConsumerFailure {
            throw failure.error
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw ProviderError.incomplete("\(error)")
        }
        guard done else { throw ProviderError.incomplete("no [DONE] frame") }
        guard let toolName else { return nil }
        return ProviderToolCall(id: toolID ?? "call_\(UUID().uuidString.prefix(8))", function: .init(name: toolName, arguments: toolArguments))
    }
}

/// An error thrown by the caller's `onText` (e.g. a fenced write): it passes through `complete`
/// unchanged instead of reading as a broken provider stream.
private struct ConsumerFailure: Error {
    let error: any Error
}
