import PodsimModel

/// The parts of an OpenAI chat completion request the mock looks at, read leniently: missing or
/// oddly typed fields become empty values rather than errors.
struct ChatRequest: Sendable, Equatable {
    struct Message: Sendable, Equatable {
        var role: String
        var text: String
    }

    var messages: [Message]
    /// `metadata.thread_id`: which thread the calling pod is running.
    var threadId: String?
    /// `metadata.pod`: which pod is calling.
    var pod: String?
    /// `metadata.run`: the run the call serves (the seed run id, the hosted turn's fence).
    var run: String?
    /// `metadata.attempt`: the run's attempt.
    var attempt: Int?
    /// `metadata.step`: the 1-based model call within the attempt.
    var step: Int?

    init(json: JSONValue) {
        var messages: [Message] = []
        if case .array(let list)? = json["messages"] {
            messages = list.map { Message(role: $0["role"]?.stringValue ?? "", text: Self.text(of: $0["content"])) }
        }
        self.messages = messages
        threadId = json["metadata"]?["thread_id"]?.stringValue
        pod = json["metadata"]?["pod"]?.stringValue
        run = json["metadata"]?["run"]?.stringValue
        attempt = json["metadata"]?["attempt"]?.numberValue.map { Int($0) }
        step = json["metadata"]?["step"]?.numberValue.map { Int($0) }
    }

    /// The text of the last user message, where the hints live; empty when there is none.
    var lastUserText: String {
        messages.last { $0.role == "user" }?.text ?? ""
    }

    /// Whether a tool result follows the last user message, i.e. this is the follow-up call after a tool call.
    var hasToolResultAfterLastUser: Bool {
        let start = messages.lastIndex { $0.role == "user" }.map { $0 + 1 } ?? 0
        return messages[start...].contains { $0.role == "tool" }
    }

    /// `content` is either a string or an array of `{"type":"text","text":…}` parts.
    private static func text(of content: JSONValue?) -> String {
        switch content {
        case .string(let text): text
        case .array(let parts): parts.compactMap { $0["text"]?.stringValue }.joined(separator: "\n")
        default: ""
        }
    }
}
