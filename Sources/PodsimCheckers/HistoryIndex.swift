import PodsimHistory

/// A history's events with their positions, grouped the ways the checkers look them up; each
/// check builds it once.
struct HistoryIndex {
    let history: History
    /// Whether the hosted profile's rules apply (else the seed's).
    let hosted: Bool
    /// The last instant the history covers: the latest `t` or `end` of any event.
    let endsAt: Int64
    /// Every start of a run attempt, in time order: `run-claimed`, `run-reclaimed`, and (hosted)
    /// a child workflow an executor started, whose attempt is 1 + its recoveries.
    let claims: [Located]
    private let byKind: [HistoryKind: [Located]]

    init(_ history: History) {
        self.history = history
        hosted = history.header.profile == "hosted"
        var byKind: [HistoryKind: [Located]] = [:]
        var endsAt: Int64 = 0
        for (index, event) in history.events.enumerated() {
            let located = Located(index: index, event: event)
            byKind[event.kind, default: []].append(located)
            endsAt = max(endsAt, located.end, event.t)
        }
        self.byKind = byKind
        self.endsAt = endsAt
        let children = hosted ? (byKind[.workflowStarted] ?? []).filter { $0.event.workflow == "child" && $0.event.run != nil } : []
        claims = ((byKind[.runClaimed] ?? []) + (byKind[.runReclaimed] ?? []) + children).sorted { $0.index < $1.index }
    }

    var profile: String { history.header.profile }

    /// The events of one kind, in time order.
    func events(_ kind: HistoryKind) -> [Located] { byKind[kind] ?? [] }

    /// Whether the store journal is in the history at all.
    var hasStoreEvents: Bool { byKind.keys.contains { $0.isStoreEvent } }

    /// Where a delivered or appended chunk sits: read from its id when the profile's id shape
    /// parses, else from the event's `run`, `attempt` and `seq`.
    func position(of event: HistoryEvent) -> ChunkPosition? {
        if let id = event.id, let parsed = ChunkID.parse(id, profile: profile), let thread = event.thread ?? parsed.thread {
            return ChunkPosition(key: AttemptKey(thread: thread, run: parsed.run, attempt: parsed.attempt), seq: parsed.seq)
        }
        guard let thread = event.thread, let run = event.run, let seq = event.seq else { return nil }
        return ChunkPosition(key: AttemptKey(thread: thread, run: run, attempt: hosted ? nil : event.attempt), seq: seq)
    }

    /// Hosted: whether a recovery of the run (a `run-reclaimed`, or a claim of an attempt above
    /// 1) happened strictly between two instants, which lets a fence's sequence restart at 1.
    func recovered(_ key: AttemptKey, after start: Int64, before end: Int64) -> Bool {
        claims.contains { claim in
            claim.event.run == key.run && claim.event.thread == key.thread && claim.t > start && claim.t < end
                && (claim.event.kind == .runReclaimed || (claim.event.attempt ?? 1) > 1)
        }
    }

    /// One watcher's deliveries of one key, split where the profile allows the sequence to start
    /// over: hosted, a fence without attempt tags restarts at seq 1 after a recovery. Elsewhere
    /// the whole key is one epoch.
    func epochs(_ deliveries: [Delivered], of key: AttemptKey) -> [[Delivered]] {
        var epochs: [[Delivered]] = []
        for item in deliveries {
            if let previous = epochs.last?.last, hosted, key.attempt == nil, item.seq == 1,
                recovered(key, after: previous.delivery.t, before: item.delivery.t)
            {
                epochs.append([item])
            } else if epochs.isEmpty {
                epochs.append([item])
            } else {
                epochs[epochs.count - 1].append(item)
            }
        }
        return epochs
    }

    /// The chunks the store appended, by key, in time order.
    func appendsByKey() -> (keys: [AttemptKey], appends: [AttemptKey: [Appended]]) {
        var keys: [AttemptKey] = []
        var appends: [AttemptKey: [Appended]] = [:]
        for append in events(.chunkAppended) {
            guard let position = position(of: append.event) else { continue }
            if appends[position.key] == nil { keys.append(position.key) }
            appends[position.key, default: []].append((append, position.seq))
        }
        return (keys, appends)
    }

    /// `pod-2`, or `?` when the event names no process.
    static func pod(_ event: HistoryEvent) -> String { event.process ?? "?" }

    /// `seq 3 text-delta "chunk-2 "`: a chunk as a message names it.
    static func describeChunk(seq: Int?, _ event: HistoryEvent) -> String {
        var text = seq.map { "seq \($0) " } ?? ""
        text += event.chunk ?? "?"
        if let delta = event.delta { text += " \"\(delta)\"" }
        return text
    }
}
