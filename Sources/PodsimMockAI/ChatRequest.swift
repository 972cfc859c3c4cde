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

    init(json: JSONValue) {
        var messages: [Message] = []
        if case .array(let list)? = json["messages"] {
            messages = list.map { Message(role: $0["role"]?.stringValue ?? "", text: Self.text(of: $0["content"])) }
        }
        self.messages = messages
        threadId = json["metadata"]?["thread_id"]?.stringValue
        pod = json["metadata"]?["pod"]?.stringValue
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
