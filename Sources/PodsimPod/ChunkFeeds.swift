import Foundation
import PodsimModel
import PodsimStore
import ServiceLifecycle

/// What a stream watcher receives from its thread's feed.
enum FeedEvent: Sendable {
    case chunks([StoredChunk])
    case keepalive
}

/// Fans a thread's new chunks out to every watcher on this pod.
///
/// Each thread with watchers has one feed that remembers the last chunk id it read. Change
/// signals (or the keepalive tick, as a fallback for a lost datagram) mark feeds to read; one
/// reader task at a time reads each marked feed's new rows once and yields them to all its
/// watchers, so a chunk costs at most one store read per pod, not one per watcher, and no two
/// reads of one feed overlap (which would deliver the same rows twice).
actor ChunkFeeds {
    private struct Feed {
        var lastID: Int64
        var watchers: [UUID: AsyncStream<FeedEvent>.Continuation] = [:]
    }

    private let store: Store
    private var feeds: [String: Feed] = [:]
    private var closed = false
    /// Threads signalled since their feed last read, and whether the reader task is running.
    private var signalled: Set<String> = []
    private var reading = false

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

    func subscribe(threadId: String) async throws -> Subscription {
        let (events, continuation) = AsyncStream.makeStream(of: FeedEvent.self)
        let id = UUID()
        if closed {
            continuation.finish()
            return Subscription(id: id, events: events, cursor: 0)
        }
        if feeds[threadId] == nil {
            let lastID = try await store.lastChunkID(threadId: threadId)
            // Another watcher may have opened the feed while this one read; theirs is current.
            if feeds[threadId] == nil && !closed {
                feeds[threadId] = Feed(lastID: lastID)
                // Signals for chunks committed during the read found no feed; read once more.
                signal(threadId: threadId)
            }
        }
        guard !closed, feeds[threadId] != nil else {
            continuation.finish()
            return Subscription(id: id, events: events, cursor: 0)
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
        guard !reading else { return }
        reading = true
        Task { await self.readSignalled() }
    }

    private func readSignalled() async {
        while !signalled.isEmpty {
            let threads = signalled
            signalled.removeAll()
            for threadId in threads { await read(threadId: threadId) }
        }
        reading = false
    }

    /// Reads the thread's new chunks and hands them to its watchers. Only the reader task calls
    /// this, so `lastID` cannot move while the read is in flight; a feed closed and reopened
    /// meanwhile (by its last watcher leaving and a new one arriving) is left to its own read.
    private func read(threadId: String) async {
        guard let lastID = feeds[threadId]?.lastID,
            let rows = try? await store.chunks(threadId: threadId, afterID: lastID), let last = rows.last?.id,
            var feed = feeds[threadId], feed.lastID == lastID
        else { return }
        feed.lastID = last
        feeds[threadId] = feed
        for continuation in feed.watchers.values { continuation.yield(.chunks(rows)) }
    }

    /// The keepalive tick: every watcher gets a keepalive, and every feed re-reads the store.
    func tick() {
        for threadId in feeds.keys { signal(threadId: threadId) }
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

/// Sends every watcher a keepalive each `keepaliveMillis` (and makes every feed re-read, in case a
/// datagram was lost); on shutdown, ends every stream so the HTTP server can finish.
struct KeepaliveTicker: Service {
    let feeds: ChunkFeeds
    let keepaliveMillis: Int64

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(keepaliveMillis)) }
            await feeds.tick()
        }
        await feeds.closeAll()
    }
}
