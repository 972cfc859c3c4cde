import PodsimModel
import PodsimStore

/// What one run appended, read back from the store once it ended, so the bench can check its
/// watchers against it: seed's chunk log; in hosted, the per-thread subject is purged when a run
/// ends, so the duplicate window stands in (it keeps each fenced message id
/// `<thread>:<fence>:<seq>` with its publish time across purges). Its bodies are gone with the
/// purge: frames are matched to a hosted log by position.
struct RunLog {
    /// One appended chunk: its body (nil when the store no longer has it) and its append time, ms.
    struct Entry: Sendable {
        var body: String?
        var createdAt: Int64
    }

    var entries: [Entry]
    /// The pod that appended them: the run's owner (seed) or the child's executor (hosted).
    var pod: String?

    /// Where the thread's log ends now, for `read(thread:after:)` to return only a later run's
    /// chunks (hosted needs none: each run has its own fence).
    static func end(thread: String, profile: ServerProfile, store: Store) async throws -> Int64 {
        profile == .seed ? try await store.lastChunkID(threadId: thread) : 0
    }

    /// The thread's latest run: the chunks after `end` (seed), or those of the thread's fence (hosted).
    static func read(thread: String, after end: Int64, profile: ServerProfile, store: Store) async throws -> RunLog {
        switch profile {
        case .seed:
            let chunks = try await store.chunks(threadId: thread, afterID: end)
            return RunLog(entries: chunks.map { Entry(body: $0.body, createdAt: $0.createdAt) }, pod: chunks.first?.pod)
        case .hosted:
            guard let fence = try await store.thread(id: thread)?.hosted.fence else { return RunLog(entries: [], pod: nil) }
            let prefix = "\(thread):\(fence):"
            let rows = try await store.query(
                "SELECT msgId, storedAt FROM dedup WHERE substr(msgId, 1, length(?1)) = ?1", arguments: [prefix])
            let published = rows.compactMap { row -> (seq: Int, at: Int64)? in
                guard let id = row["msgId"] ?? nil, let seq = Int(id.dropFirst(prefix.count)),
                    let at = (row["storedAt"] ?? nil).flatMap({ Int64($0) })
                else { return nil }
                return (seq, at)
            }
            let executor = try await store.query(
                "SELECT executor FROM workflow WHERE id = ?", arguments: [Store.WorkflowID.child(threadId: thread, fence: fence)]
            ).first?["executor"] ?? nil
            return RunLog(entries: published.sorted { $0.seq < $1.seq }.map { Entry(body: nil, createdAt: $0.at) }, pod: executor)
        }
    }

    /// Whether a frame is one the run appended to its log: every frame in seed; in hosted, not
    /// the unfenced stage frames and user-message mirror, which no log keeps.
    static func isLogged(_ frame: ReceivedFrame, profile: ServerProfile) -> Bool {
        profile == .seed || !(frame.data.contains(#""type":"data-run-status""#) || frame.data.contains(#""type":"data-user-message""#))
    }
}
