/// One line of a run's `history.jsonl`: something that happened in the cluster or to it, when,
/// and where. A flat record (like a Jepsen op) so that tools in any language can read it; which
/// fields an event carries depends on its `kind` (README: "The history format").
///
/// Times: `t` is nanoseconds since the cluster started on the system's monotonic clock, which
/// every process of the cluster shares; `wall` is the same instant as Unix epoch milliseconds.
/// `end` closes a span (a call, an attach, a fault, a provider call, a step).
public struct HistoryEvent: Sendable, Equatable, Codable {
    public var t: Int64
    public var wall: Int64
    public var kind: HistoryKind
    /// The process it happened on or was sent to: `pod-2`, `mock-ai`, a link daemon.
    public var process: String?
    /// The end of a span, nanoseconds since the cluster started.
    public var end: Int64?

    // Who acted (runner events).
    /// The scenario's caller (`bootstrap` name) that made a call.
    public var caller: String?
    /// The scenario's watcher that attached, detached or received.
    public var watcher: String?
    /// What the runner was doing: `bootstrap`, `create-agent`, `create-thread`, `send`, `request`,
    /// `thread-view`, `provider-calls`, `release-gate`.
    public var op: String?

    // What it concerned.
    /// The thread's id as the API names it.
    public var thread: String?
    /// The user message id a run answers.
    public var message: String?
    /// The run: seed, the run's row id; hosted, the turn's fence.
    public var run: String?
    /// The attempt of the run: seed, the claim count (1 = first execution); hosted, 1 + the
    /// child's recoveries.
    public var attempt: Int?
    /// The chunk's sequence number within its attempt (seed) or fence (hosted).
    public var seq: Int?
    /// The chunk's id, the same in the store and on the wire (the SSE `id:` line): seed
    /// `<run>:<attempt>:<seq>`, hosted the bus message id `<thread>:<fence>:<seq>`.
    public var id: String?
    /// The UI chunk's `type`.
    public var chunk: String?
    /// A `text-delta` chunk's text.
    public var delta: String?
    /// The chunk's payload as sent.
    public var data: String?

    // HTTP calls.
    public var method: String?
    public var path: String?
    /// The answer's status; absent when none came (refused, timed out).
    public var status: Int?
    /// The error: a 4xx/5xx body, a transport failure, a fault that failed, a step's failure.
    public var error: String?

    // Faults and states.
    /// A fault's action: `kill`, `stop`, `start`, `pause`, `resume`, `restart`,
    /// `start-link-daemon`, `bus:<fault>`.
    public var action: String?
    /// A fault's target process (absent for a bus fault on every pod).
    public var target: String?
    /// A run's or workflow's state: `completed`, `failed`, `cancelled`, `ENQUEUED`, `SUCCESS`, …
    public var state: String?
    /// A hosted workflow's kind: `gate` or `child`.
    public var workflow: String?
    /// Why a watcher detached: `client` (the scenario or the runner closed it), `ended` (the pod
    /// ended the stream), `failed` (the connection broke).
    public var reason: String?
    /// The model call's index within its attempt (1 = first; a tool call makes a second).
    public var step: Int?
    /// How many parts a projection wrote.
    public var count: Int?

    // Steps.
    public var label: String?
    /// `file:line:column` of the step.
    public var location: String?

    public init(t: Int64, wall: Int64, kind: HistoryKind) {
        self.t = t
        self.wall = wall
        self.kind = kind
    }
}

/// What an event is. Open for extension: a reader keeps kinds it does not know.
public struct HistoryKind: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    // The runner (client operations, watchers, faults, steps).
    public static let stepStart = HistoryKind("step-start")
    public static let stepEnd = HistoryKind("step-end")
    public static let request = HistoryKind("request")
    public static let attach = HistoryKind("attach")
    public static let detach = HistoryKind("detach")
    public static let delivery = HistoryKind("delivery")
    public static let fault = HistoryKind("fault")

    // The store (written by the pods in the same transaction as the change).
    public static let runEnqueued = HistoryKind("run-enqueued")
    public static let runClaimed = HistoryKind("run-claimed")
    public static let runReclaimed = HistoryKind("run-reclaimed")
    public static let runReleased = HistoryKind("run-released")
    public static let runCancelRequested = HistoryKind("run-cancel-requested")
    public static let runFinished = HistoryKind("run-finished")
    public static let chunkAppended = HistoryKind("chunk-appended")
    /// Hosted: a publish the bus dropped as a duplicate of a message id inside its window.
    public static let chunkDropped = HistoryKind("chunk-dropped")
    /// Seed: a dead attempt's chunks deleted on reclaim; hosted: a thread's log purged.
    public static let logPurged = HistoryKind("log-purged")
    public static let partsProjected = HistoryKind("parts-projected")
    public static let sessionCreated = HistoryKind("session-created")
    public static let sessionRevoked = HistoryKind("session-revoked")
    /// Hosted: a gate or child workflow enqueued, started (claimed by an executor) or finished.
    public static let workflowEnqueued = HistoryKind("workflow-enqueued")
    public static let workflowStarted = HistoryKind("workflow-started")
    public static let workflowFinished = HistoryKind("workflow-finished")

    // The mock provider.
    public static let providerCall = HistoryKind("provider-call")

    /// Whether the store wrote it (as opposed to the runner or the mock provider).
    public var isStoreEvent: Bool {
        [.runEnqueued, .runClaimed, .runReclaimed, .runReleased, .runCancelRequested, .runFinished, .chunkAppended, .chunkDropped,
         .logPurged, .partsProjected, .sessionCreated, .sessionRevoked, .workflowEnqueued, .workflowStarted, .workflowFinished]
            .contains(self)
    }
}
