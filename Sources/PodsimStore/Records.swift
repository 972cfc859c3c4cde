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
    /// Hosted profile: a tool approval is pending (the projector writes it; the mock never asks).
    case requiresAction = "requires_action"
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
    /// The hosted profile's run columns (nil in `seed`).
    public var hosted = HostedThreadState()
}

/// The `threads` columns only the hosted profile writes: the runtime pins, the current turn's
/// fence, the durable cancel flag, the failure record and the liveness inputs.
public struct HostedThreadState: Sendable, Equatable {
    /// The user who created the thread; only they may POST to it or cancel it.
    public var createdBy: String?
    public var fence: String?
    public var failureKind: String?
    public var failureReason: String?
    public var cancelRequestedAt: Int64?
    public var harnessId: String?
    public var branch: String?
    public var messageStorageVersion: Int?
    public var runStartedAt: Int64?
    public var lastProgressAt: Int64?

    public init(
        createdBy: String? = nil, fence: String? = nil, failureKind: String? = nil, failureReason: String? = nil,
        cancelRequestedAt: Int64? = nil, harnessId: String? = nil, branch: String? = nil, messageStorageVersion: Int? = nil,
        runStartedAt: Int64? = nil, lastProgressAt: Int64? = nil
    ) {
        self.createdBy = createdBy
        self.fence = fence
        self.failureKind = failureKind
        self.failureReason = failureReason
        self.cancelRequestedAt = cancelRequestedAt
        self.harnessId = harnessId
        self.branch = branch
        self.messageStorageVersion = messageStorageVersion
        self.runStartedAt = runStartedAt
        self.lastProgressAt = lastProgressAt
    }
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

    /// The chunk's id as watchers see it (the SSE `id:` line) and the journal records it.
    public var chunkID: String { Self.chunkID(runId: runId, attempt: attempt, seq: seq) }

    /// `<runId>:<attempt>:<seq>`: unique across a run's attempts.
    public static func chunkID(runId: Int64, attempt: Int, seq: Int) -> String { "\(runId):\(attempt):\(seq)" }
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
    /// Hosted profile: the deterministic id `threadId:messageId:seq` a re-projection converges on.
    public var key: String?
    /// Hosted profile: the UI message the part belongs to.
    public var messageId: String?

    public init(
        id: Int64? = nil, threadId: String, runId: Int64?, role: String, type: String, body: String, pod: String?, createdAt: Int64,
        key: String? = nil, messageId: String? = nil
    ) {
        self.id = id
        self.key = key
        self.messageId = messageId
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

/// Hosted profile: which of a turn's two workflows a row is.
public enum WorkflowKind: String, Sendable, Hashable, CaseIterable {
    /// `threadGateWorkflow`: dispatches the turn (mints the fence), starts the child, projects.
    case gate
    /// `hostedHarnessWorkflow`: runs the agent loop and publishes its chunks.
    case child
}

/// Hosted profile: a workflow's DBOS status.
public enum WorkflowStatus: String, Sendable {
    case enqueued = "ENQUEUED"
    case pending = "PENDING"
    case success = "SUCCESS"
    case error = "ERROR"
    case cancelled = "CANCELLED"
}

/// Hosted profile: one DBOS-style workflow row. `executor` is the name of the pod running it
/// while PENDING; `fence` is the gate's journaled dispatch output (and the child's input).
public struct Workflow: Sendable, Equatable {
    public var id: String
    public var kind: WorkflowKind
    public var threadId: String
    public var orgId: String
    public var userId: String
    public var messageId: String
    public var status: WorkflowStatus
    public var executor: String?
    public var priority: Int
    public var fence: String?
    /// How many times recovery put it back in the queue.
    public var recoveries: Int
    public var error: String?
    public var createdAt: Int64
    public var updatedAt: Int64
}

/// Hosted profile: one message on a thread's subject (the stand-in for JetStream). Fenced
/// messages carry `threadId:fence:seq` as their id; stage frames and the user mirror carry none.
public struct SubjectMessage: Sendable, Equatable {
    /// The stream sequence: grows for ever, so a purge never moves a consumer's cursor back.
    public var id: Int64
    public var threadId: String
    public var msgId: String?
    public var fence: String?
    public var seq: Int?
    public var pod: String
    /// The UI chunk (`p`) or a done marker, as JSON.
    public var body: String
    public var createdAt: Int64
}

/// Hosted profile: a message to publish; `msgId` subjects it to the duplicate window.
public struct SubjectPublish: Sendable, Equatable {
    public var msgId: String?
    public var fence: String?
    public var seq: Int?
    public var body: String

    public init(msgId: String? = nil, fence: String? = nil, seq: Int? = nil, body: String) {
        self.msgId = msgId
        self.fence = fence
        self.seq = seq
        self.body = body
    }
}
