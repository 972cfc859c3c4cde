import PodsimModel

/// The content of an assistant reply as its AI SDK chunks build it: a text part closes at its
/// `text-end` (or when the step or run ends with it still open), a tool part once its call has
/// an output or an error. Both profiles' projectors feed it their chunks and store what it
/// completes as parts, each in its own way.
struct AssistantContent: Sendable {
    /// One completed part: its type (`text`, `tool-<name>`) and body.
    struct Piece: Sendable, Equatable {
        let type: String
        let body: JSONValue
    }

    private var openText: [String: String] = [:]
    private var textOrder: [String] = []
    private var tools: [String: (name: String, input: JSONValue)] = [:]

    /// Applies one chunk; returns the part it completes. Chunks that carry no content return nil.
    mutating func apply(_ chunk: UIChunk) -> Piece? {
        switch chunk {
        case .textStart(let id):
            openText[id] = ""
            textOrder.append(id)
        case .textDelta(let id, let delta):
            openText[id, default: ""] += delta
        case .textEnd(let id):
            if let text = openText.removeValue(forKey: id) { return Piece(type: "text", body: ["text": .string(text)]) }
        case .toolInputAvailable(let callId, let name, let input):
            tools[callId] = (name, input)
        case .toolOutputAvailable(let callId, let output):
            let tool = tools[callId]
            return Piece(type: "tool-\(tool?.name ?? "unknown")", body: [
                "toolCallId": .string(callId), "input": tool?.input ?? .null, "output": output, "state": "output-available",
            ])
        case .toolOutputError(let callId, let errorText):
            let tool = tools[callId]
            return Piece(type: "tool-\(tool?.name ?? "unknown")", body: [
                "toolCallId": .string(callId), "input": tool?.input ?? .null, "errorText": .string(errorText), "state": "output-error",
            ])
        case .start, .startStep, .finishStep, .finish, .error, .abort, .other:
            break
        }
        return nil
    }

    /// The text parts still open, in the order they opened; they count as closed from now on.
    mutating func closeOpenText() -> [Piece] {
        defer { textOrder = [] }
        return textOrder.compactMap { id in openText.removeValue(forKey: id).map { Piece(type: "text", body: ["text": .string($0)]) } }
    }
}
