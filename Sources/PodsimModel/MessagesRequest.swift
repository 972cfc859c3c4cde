import Foundation

/// The body of `POST /api/:org/decopilot/threads/:id/messages` in the real system's shape. The
/// pod decodes it; scenarios, the bench and the client send one user text message with it.
public struct MessagesRequest: Codable, Sendable, Equatable {
    public struct Part: Codable, Sendable, Equatable {
        public var type: String
        public var text: String?
        public init(type: String = "text", text: String?) {
            self.type = type
            self.text = text
        }
    }

    public struct Message: Codable, Sendable, Equatable {
        public var id: String
        public var role: String
        public var parts: [Part]
        public init(id: String, role: String = "user", parts: [Part]) {
            self.id = id
            self.role = role
            self.parts = parts
        }
    }

    public struct AgentRef: Codable, Sendable, Equatable {
        public var id: String
        public init(id: String) { self.id = id }
    }

    public var messages: [Message]
    public var agent: AgentRef
    public var tier: String?
    /// Must equal the thread id in the URL when present.
    public var threadId: String?
    /// Pins the thread's sandbox kind (`docker`, `remote-user`, `agent-sandbox`).
    public var sandboxProviderKind: String?

    enum CodingKeys: String, CodingKey {
        case messages, agent, tier, sandboxProviderKind
        case threadId = "thread_id"
    }

    public init(messages: [Message], agent: AgentRef, tier: String? = nil, threadId: String? = nil, sandboxProviderKind: String? = nil) {
        self.messages = messages
        self.agent = agent
        self.tier = tier
        self.threadId = threadId
        self.sandboxProviderKind = sandboxProviderKind
    }

    /// One user text message to an agent.
    public init(text: String, agentId: String, messageId: String = UUID().uuidString.lowercased(), sandboxProviderKind: String? = nil) {
        self.init(
            messages: [Message(id: messageId, parts: [Part(text: text)])], agent: AgentRef(id: agentId),
            sandboxProviderKind: sandboxProviderKind)
    }

    /// The body as JSON text.
    public var json: String {
        String(decoding: (try? JSONEncoder().encode(self)) ?? Data(), as: UTF8.self)
    }

    /// The text of the last user message (its text parts, one per line), or nil without one.
    public var lastUserMessage: (id: String, text: String)? {
        guard let message = messages.last(where: { $0.role == "user" }) else { return nil }
        return (message.id, message.parts.compactMap { $0.type == "text" ? $0.text : nil }.joined(separator: "\n"))
    }
}
