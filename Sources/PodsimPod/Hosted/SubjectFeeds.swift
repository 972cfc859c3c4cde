import NIOCore
import PodsimModel
import PodsimStore

/// The hosted profile's per-thread subject as a feed source: stream sequences never go back,
/// even across a purge.
struct SubjectLog: ThreadLog {
    let store: Store
    let pod: String

    /// Hosted writers announce every publish to every pod, so there is nothing to record.
    func watch(threadId: String) async throws -> String { "" }
    func unwatch(threadId: String, token: String) async {}

    func lastID(threadId: String) async throws -> Int64 { try await store.lastSubjectID(threadId: threadId) }
    func entries(threadId: String, afterID: Int64) async throws -> [SubjectMessage] {
        try await store.subjectMessages(threadId: threadId, afterID: afterID)
    }
    static func id(of entry: SubjectMessage) -> Int64 { entry.id }

    /// Every message but the done markers, each with its msgId.
    static func frames(_ entries: [SubjectMessage]) -> ByteBuffer {
        var buffer = ByteBuffer()
        for message in entries where !HostedFrames.isDoneMarker(message.body) {
            buffer.writeString(SSE.frame(message.body, id: message.msgId))
        }
        return buffer
    }
}

/// Fans each thread's subject out to this pod's `/stream` watchers (the JetStream tail consumers).
typealias SubjectFeeds = ThreadFeeds<SubjectLog>
