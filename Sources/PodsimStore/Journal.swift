import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a journal row records.
public enum JournalKind: String, Sendable, Hashable, CaseIterable {
    case runEnqueued = "run-enqueued"
    case runClaimed = "run-claimed"
    case runReclaimed = "run-reclaimed"
    case runReleased = "run-released"
    case runCancelRequested = "run-cancel-requested"
    case runFinished = "run-finished"
    case chunkAppended = "chunk-appended"
    case chunkDropped = "chunk-dropped"
    case logPurged = "log-purged"
    case partsProjected = "parts-projected"
    case sessionCreated = "session-created"
    case sessionRevoked = "session-revoked"
    case workflowEnqueued = "workflow-enqueued"
    case workflowStarted = "workflow-started"
    case workflowFinished = "workflow-finished"
}

/// One row of the store's history journal: a change to the shared state, written by the process
/// that made it in the same transaction as the change, so a run's history holds exactly what the
/// store did and when (on the machine's monotonic clock).
public struct JournalEntry: Sendable, Equatable {
    public var id: Int64
    /// Monotonic nanoseconds of the writing process (the clock every process of a cluster shares).
    public var at: Int64
    public var kind: JournalKind
    /// The writing process (the pod's name).
    public var pod: String?
    /// The store's internal thread id.
    public var threadId: String?
    public var messageId: String?
    /// The run: the seed run id, the hosted turn's fence.
    public var run: String?
    public var attempt: Int?
    public var seq: Int?
    /// The chunk's id as watchers see it (`<runId>:<attempt>:<seq>` for seed, the bus msgId for hosted).
    public var chunkId: String?
    /// The chunk JSON's `type`.
    public var chunkType: String?
    /// A `text-delta` chunk's text.
    public var delta: String?
    /// The chunk's JSON, or the JSON array of the parts projected.
    public var body: String?
    /// A run's final state, a workflow's status, `replace` for parts that replaced a message's.
    public var state: String?
    /// `gate` or `child` for workflow events.
    public var workflow: String?
    /// How many parts were projected.
    public var count: Int?
    /// A finished run's error, a session's user id.
    public var detail: String?

    public init(
        id: Int64, at: Int64, kind: JournalKind, pod: String? = nil, threadId: String? = nil, messageId: String? = nil, run: String? = nil,
        attempt: Int? = nil, seq: Int? = nil, chunkId: String? = nil, chunkType: String? = nil, delta: String? = nil, body: String? = nil,
        state: String? = nil, workflow: String? = nil, count: Int? = nil, detail: String? = nil
    ) {
        self.id = id
        self.at = at
        self.kind = kind
        self.pod = pod
        self.threadId = threadId
        self.messageId = messageId
        self.run = run
        self.attempt = attempt
        self.seq = seq
        self.chunkId = chunkId
        self.chunkType = chunkType
        self.delta = delta
        self.body = body
        self.state = state
        self.workflow = workflow
        self.count = count
        self.detail = detail
    }
}

extension Store {
    /// The journal rows with an id above `afterID`, in the order they were written.
    public func journal(afterID: Int64 = 0) async throws -> [JournalEntry] {
        try await database.read("SELECT * FROM journal WHERE id > ? ORDER BY id", arguments(afterID)).map(JournalEntry.init(row:))
    }

    /// Writes journal rows inside the transaction of the change they record; nothing (and the
    /// rows are not even built) when this process does not journal.
    func journal(_ records: @autoclosure () throws -> [JournalRecord], in transaction: Transaction) throws {
        guard let writer = journalWriter else { return }
        let records = try records()
        guard !records.isEmpty else { return }
        let at = monotonicNanos()
        try transaction.execute(
            """
            INSERT INTO journal (at, kind, pod, threadId, messageId, run, attempt, seq, chunkId, chunkType, delta, body, state, workflow, count, detail)
            VALUES
            """ + Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: records.count).joined(separator: ", "),
            records.flatMap { record in
                arguments(
                    at, record.kind.rawValue, writer, record.threadId, record.messageId, record.run, record.attempt, record.seq,
                    record.chunkId, record.chunkType, record.delta, record.body, record.state, record.workflow, record.count, record.detail)
            })
    }

    func journal(_ record: @autoclosure () throws -> JournalRecord, in transaction: Transaction) throws {
        try journal([try record()], in: transaction)
    }
}

/// A journal row before it is written (the store fills in the time and the writer).
struct JournalRecord: Sendable {
    var kind: JournalKind
    var threadId: String?
    var messageId: String? = nil
    var run: String? = nil
    var attempt: Int? = nil
    var seq: Int? = nil
    var chunkId: String? = nil
    var chunkType: String? = nil
    var delta: String? = nil
    var body: String? = nil
    var state: String? = nil
    var workflow: String? = nil
    var count: Int? = nil
    var detail: String? = nil

    /// A chunk event: its id, and the type and text delta read from its JSON.
    static func chunk(
        _ kind: JournalKind, threadId: String, run: String?, attempt: Int?, seq: Int?, chunkId: String?, body: String
    ) -> JournalRecord {
        let object = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
        let type = object?["type"] as? String
        return JournalRecord(
            kind: kind, threadId: threadId, run: run, attempt: attempt, seq: seq, chunkId: chunkId, chunkType: type,
            delta: type == "text-delta" ? object?["delta"] as? String : nil, body: body)
    }

    /// Parts written by a projection: their count and a JSON array of them.
    static func partsProjected(_ parts: [MessagePart], threadId: String, run: String?, messageId: String?, replacing: Bool) -> JournalRecord {
        JournalRecord(
            kind: .partsProjected, threadId: threadId, messageId: messageId, run: run, body: partsJSON(parts),
            state: replacing ? "replace" : nil, count: parts.count)
    }

    private static func partsJSON(_ parts: [MessagePart]) -> String {
        let objects: [[String: Any]] = parts.map { part in
            var object: [String: Any] = ["role": part.role, "type": part.type, "body": part.body]
            if let runId = part.runId { object["runId"] = runId }
            if let key = part.key { object["key"] = key }
            if let messageId = part.messageId { object["messageId"] = messageId }
            return object
        }
        let data = (try? JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

extension JournalEntry {
    init(row: Row) throws {
        guard let kind = JournalKind(rawValue: try row.string("kind")) else { throw StoreError.decoding(column: "kind") }
        self.init(
            id: try row.int64("id"), at: try row.int64("at"), kind: kind, pod: try row.optionalString("pod"),
            threadId: try row.optionalString("threadId"), messageId: try row.optionalString("messageId"), run: try row.optionalString("run"),
            attempt: try row.optionalInt64("attempt").map(Int.init), seq: try row.optionalInt64("seq").map(Int.init),
            chunkId: try row.optionalString("chunkId"), chunkType: try row.optionalString("chunkType"), delta: try row.optionalString("delta"),
            body: try row.optionalString("body"), state: try row.optionalString("state"), workflow: try row.optionalString("workflow"),
            count: try row.optionalInt64("count").map(Int.init), detail: try row.optionalString("detail"))
    }
}

/// Nanoseconds on the system's monotonic clock, as `PodsimModel.monotonicNanos` reads it (the
/// store depends on no module of ours).
private func monotonicNanos() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
}
