/// An organization: the tenant every other record belongs to.
public struct Org: Sendable, Equatable {
    public var id: String
    public var slug: String
    public var name: String
    public var createdAt: Int64
}

/// A member of an org.
public struct User: Sendable, Equatable {
    public var id: String
    public var orgId: String
    public var email: String
}

/// A bearer API key; minted on any pod, valid on every pod because it lives in the store.
public struct APIKey: Sendable, Equatable {
    public var key: String
    public var userId: String
    public var orgId: String
}

/// A cookie session; signing out deletes the row, which every pod sees at once.
public struct Session: Sendable, Equatable {
    public var token: String
    public var userId: String
    public var orgId: String
    public var createdAt: Int64
}

/// An agent a thread talks to.
public struct Agent: Sendable, Equatable {
    public var id: String
    public var orgId: String
    public var title: String
}

/// Thread status as the real `threads.status` column holds it.
public enum ThreadStatus: String, Sendable {
    case completed
    case inProgress = "in_progress"
    case failed
}

/// A chat thread: its status, the pod executing its current run, and its pinned sandbox kind.
///
/// Thread ids are scoped to their org: `publicId` is what the org's URLs say, unique within the
/// org, while `id` is the store's key, which every run, chunk and part refers to. The key is the
/// public id itself unless another org already holds that key; then it gets a `~` suffix.
public struct ChatThread: Sendable, Equatable {
    public var id: String
    public var publicId: String
    public var orgId: String
    public var agentId: String
    public var status: ThreadStatus
    public var runOwnerPod: String?
    public var sandboxProviderKind: String?
    public var createdAt: Int64
    public var updatedAt: Int64
}

/// A user message received by POST /messages.
public struct ChatMessage: Sendable, Equatable {
    public var id: String
    public var threadId: String
    public var role: String
    public var text: String
    public var createdAt: Int64

    public init(id: String, threadId: String, role: String, text: String, createdAt: Int64) {
        self.id = id
        self.threadId = threadId
        self.role = role
        self.text = text
        self.createdAt = createdAt
    }
}

/// Where a run stands in the queue.
public enum RunState: String, Sendable {
    case queued, running, completed, failed
}

/// One queued or executing turn of a thread. `attempt` grows on every claim and fences writes.
public struct Run: Sendable, Equatable {
    public var id: Int64?
    public var threadId: String
    public var orgId: String
    public var userId: String
    public var messageId: String
    public var providerKind: String
    public var state: RunState
    public var attempt: Int
    public var ownerPod: String?
    public var leaseExpiresAt: Int64?
    public var cancelRequested: Bool
    public var error: String?
    public var createdAt: Int64
    public var finishedAt: Int64?
}

/// One UI chunk in a thread's chunk log (the stand-in for the JetStream buffer).
public struct StoredChunk: Sendable, Equatable {
    public var id: Int64?
    public var threadId: String
    public var runId: Int64
    public var attempt: Int
    public var seq: Int
    public var pod: String
    public var body: String
    public var createdAt: Int64
}

/// A persisted message part (user text, assistant text, tool call, error).
public struct MessagePart: Sendable, Equatable {
    public var id: Int64?
    public var threadId: String
    public var runId: Int64?
    public var role: String
    public var type: String
    public var body: String
    public var pod: String?
    public var createdAt: Int64

    public init(id: Int64? = nil, threadId: String, runId: Int64?, role: String, type: String, body: String, pod: String?, createdAt: Int64) {
        self.id = id
        self.threadId = threadId
        self.runId = runId
        self.role = role
        self.type = type
        self.body = body
        self.pod = pod
        self.createdAt = createdAt
    }
}

/// A user's link daemon registration; live while its heartbeat is younger than its TTL.
public struct Link: Sendable, Equatable {
    public var id: String
    public var userId: String
    public var orgId: String
    public var url: String
    public var capabilities: String
    public var ttlMs: Int64
    public var heartbeatAt: Int64

    public func isLive(at now: Int64) -> Bool { now - heartbeatAt < ttlMs }
}

/// A pod process's address for change signals.
public struct PodEndpoint: Sendable, Equatable {
    public var name: String
    public var signalPort: Int
    public var pid: Int32
    public var startedAt: Int64

    public init(name: String, signalPort: Int, pid: Int32, startedAt: Int64) {
        self.name = name
        self.signalPort = signalPort
        self.pid = pid
        self.startedAt = startedAt
    }
}
