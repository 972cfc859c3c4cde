import Foundation
import PodsimModel
import PodsimStore

/// Turns an attempt's logged chunks into the message parts persisted at the end of a run.
///
/// The chunk sequence must be contiguous from 1: a hole means the log lost chunks (the
/// `gap-after-churn` symptom) and the run fails with "missing seq N" instead of persisting a
/// truncated answer.
enum Projector {
    static func project(_ chunks: [StoredChunk], threadId: String, runId: Int64, pod: String) -> Store.Projection {
        var expected = 1
        for chunk in chunks {
            if chunk.seq != expected {
                let error = "missing seq \(expected)"
                return Store.Projection(state: .failed, error: error, parts: [part(threadId, runId, pod, "error", ["errorText": .string(error)])])
            }
            expected += 1
        }
        var parts: [MessagePart] = []
        var content = AssistantContent()
        var state = RunState.failed
        var error: String? = "run ended without finish"
        for chunk in chunks {
            guard let ui = try? UIChunk(storedBody: chunk.body) else { continue }
            switch ui {
            case .finish:
                state = .completed
                error = nil
            case .error(let errorText):
                parts.append(part(threadId, runId, pod, "error", ["errorText": .string(errorText)]))
                state = .failed
                error = errorText
            case .abort:
                state = .failed
                error = "cancelled"
            default:
                if let piece = content.apply(ui) { parts.append(part(threadId, runId, pod, piece.type, piece.body)) }
            }
        }
        for piece in content.closeOpenText() { parts.append(part(threadId, runId, pod, piece.type, piece.body)) }
        return Store.Projection(state: state, error: error, parts: parts)
    }

    private static func part(_ threadId: String, _ runId: Int64, _ pod: String, _ type: String, _ body: JSONValue) -> MessagePart {
        let encoded = (try? JSONEncoder().encode(body)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return MessagePart(id: nil, threadId: threadId, runId: runId, role: "assistant", type: type, body: encoded, pod: pod, createdAt: 0)
    }
}
