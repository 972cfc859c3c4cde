import Foundation

/// The body of `POST /api/:org/decopilot/threads/:id/messages` in the real system's shape: one
/// user text message addressed to an agent. Scenarios and the bench send it; pods decode it.
public struct MessagesRequest: Encodable, Sendable {
    struct Part: Encodable, Sendable {
        var type = "text"
        var text: String
    }

    struct Message: Encodable, Sendable {
        var id: String
        var role = "user"
        var parts: [Part]
    }

    struct Agent: Encodable, Sendable {
        var id: String
    }

    var messages: [Message]
    var agent: Agent
    var sandboxProviderKind: String?

    public init(text: String, agentId: String, messageId: String = UUID().uuidString.lowercased(), sandboxProviderKind: String? = nil) {
        messages = [Message(id: messageId, parts: [Part(text: text)])]
        agent = Agent(id: agentId)
        self.sandboxProviderKind = sandboxProviderKind
    }

    /// The body as JSON text.
    public var json: String {
        String(decoding: (try? JSONEncoder().encode(self)) ?? Data(), as: UTF8.self)
    }
}
