import Foundation
import PodsimModel
import PodsimStore

/// What a stream watcher receives from its thread's feed.
enum FeedEvent: Sendable {
    case chunks([StoredChunk])
    case keepalive
}

/// Fans a thread's new chunks out to every watcher on this pod.
///
/// Each thread with watchers has one feed that remembers the last chunk id it read. Change
/// signals (or the keepalive tick, as a fallback for a lost datagram) make the feed read the new
/// rows once and yield them to all its watchers, so a chunk costs at most one store read per pod,
/// not one per watcher.
actor ChunkFeeds {
    private struct Feed {
        var lastID: Int64
        var watchers: [UUID: AsyncStream<FeedEvent>.Continuation] = [:]
    }

    private let store: Store
    private var feeds: [String: Feed] = [:]
    private var closed = false
    /// Threads signalled since their feed last read, and whether a read is already scheduled.
    private var signalled: Set<String> = []
    private var readScheduled = false

    init(store: Store) {
        self.store = store
    }

    /// A watcher's subscription: its events and the id of the last chunk it will not receive
    /// through `events` (the watcher replays older chunks itself, as the deliver policy says).
    struct Subscription: Sendable {
        let id: UUID
        let events: AsyncStream<FeedEvent>
        let cursor: Int64
    }

    func subscribe(threadId: String) throws -> Subscription {
        let (events, continuation) = AsyncStream.makeStream(of: FeedEvent.self)
        let id = UUID()
        if closed {
            continuation.finish()
            return Subscription(id: id, events: events, cursor: 0)
        }
        if feeds[threadId] == nil {
            feeds[threadId] = Feed(lastID: try store.lastChunkID(threadId: threadId))
        }
        feeds[threadId]!.watchers[id] = continuation
        return Subscription(id: id, events: events, cursor: feeds[threadId]!.lastID)
    }

    func unsubscribe(threadId: String, id: UUID) {
        feeds[threadId]?.watchers[id]?.finish()
        feeds[threadId]?.watchers[id] = nil
        if feeds[threadId]?.watchers.isEmpty == true { feeds[threadId] = nil }
    }

    /// A change signal for a thread: its feed reads the new rows right after the signals already
    /// queued, so a burst of signals costs one store read rather than one each.
    func signal(threadId: String) {
        guard feeds[threadId] != nil else { return }
        signalled.insert(threadId)
        guard !readScheduled else { return }
        readScheduled = true
        Task { self.readSignalled() }
    }

    private func readSignalled() {
        readScheduled = false
        let threads = signalled
        signalled.removeAll()
        for threadId in threads { wake(threadId: threadId) }
    }

    /// Reads the thread's new chunks and hands them to its watchers.
    private func wake(threadId: String) {
        guard var feed = feeds[threadId] else { return }
        guard let rows = try? store.chunks(threadId: threadId, afterID: feed.lastID), let last = rows.last else { return }
        feed.lastID = last.id!
        feeds[threadId] = feed
        for continuation in feed.watchers.values { continuation.yield(.chunks(rows)) }
    }

    /// The keepalive tick: every watcher gets a keepalive, and every feed re-reads the store.
    func tick() {
        for threadId in feeds.keys { wake(threadId: threadId) }
        for feed in feeds.values {
            for continuation in feed.watchers.values { continuation.yield(.keepalive) }
        }
    }

    var watcherCount: Int { feeds.values.reduce(0) { $0 + $1.watchers.count } }

    /// Ends every stream (graceful drain) and refuses new ones.
    func closeAll() {
        closed = true
        for feed in feeds.values {
            for continuation in feed.watchers.values { continuation.finish() }
        }
        feeds.removeAll()
    }
}
