import Foundation
import NIOCore
import PodsimModel
import PodsimStore
import ServiceLifecycle

/// A per-thread, append-only log that stream watchers tail: the seed profile's chunk log or the
/// hosted profile's subject. Entry ids grow for ever, so a cursor never moves back.
protocol ThreadLog: Sendable {
    associatedtype Entry: Sendable
    init(store: Store, pod: String)
    /// Tells writers that this pod tails `threadId`, before `lastID` is read, so every entry
    /// appended after that read is announced here. Returns what `unwatch` needs.
    func watch(threadId: String) async throws -> String
    /// The thread's feed on this pod closed.
    func unwatch(threadId: String, token: String) async
    /// The id of the thread's last entry (0 when it has none): where a new feed starts.
    func lastID(threadId: String) async throws -> Int64
    /// The thread's entries after `afterID`, in order.
    func entries(threadId: String, afterID: Int64) async throws -> [Entry]
    static func id(of entry: Entry) -> Int64
    /// The SSE frames a watcher receives for these entries.
    static func frames(_ entries: [Entry]) -> ByteBuffer
}

/// The seed profile's chunk log.
struct ChunkLog: ThreadLog {
    let store: Store
    let pod: String

    func watch(threadId: String) async throws -> String { try await store.watch(threadId: threadId, pod: pod) }
    func unwatch(threadId: String, token: String) async { try? await store.unwatch(threadId: threadId, pod: pod, token: token) }
    func lastID(threadId: String) async throws -> Int64 { try await store.lastChunkID(threadId: threadId) }
    func entries(threadId: String, afterID: Int64) async throws -> [StoredChunk] { try await store.chunks(threadId: threadId, afterID: afterID) }
    static func id(of entry: StoredChunk) -> Int64 { entry.id ?? 0 }

    /// Every chunk, with its chunk id.
    static func frames(_ entries: [StoredChunk]) -> ByteBuffer {
        var buffer = ByteBuffer()
        for chunk in entries { buffer.writeString(SSE.frame(chunk.body, id: chunk.chunkID)) }
        return buffer
    }
}

/// The seed profile's fan-out of chunk logs.
typealias ChunkFeeds = ThreadFeeds<ChunkLog>

/// What a stream watcher receives from its thread's feed.
enum FeedEvent<Entry: Sendable>: Sendable {
    /// New entries, with their frames rendered once for every watcher of the feed.
    case chunks([Entry], frames: ByteBuffer)
    case keepalive
}

/// Fans a thread's new log entries out to every watcher on this pod.
///
/// Each thread with watchers has one feed that remembers the last entry id it read. Change
/// signals (or the keepalive tick, as a fallback for a lost datagram) mark feeds to read; one
/// reader task at a time reads each marked feed's new rows once, renders their frames once and
/// yields both to all its watchers, so an entry costs at most one store read and one rendering
/// per pod, not one per watcher, and no two reads of one feed overlap (which would deliver the
/// same rows twice).
actor ThreadFeeds<Log: ThreadLog> {
    private struct Feed {
        /// What closing the feed tells the log (`ThreadLog.unwatch`).
        let token: String
        var lastID: Int64
        var watchers: [UUID: AsyncStream<FeedEvent<Log.Entry>>.Continuation] = [:]
    }

    private let log: Log
    private var feeds: [String: Feed] = [:]
    private var closed = false
    /// Threads signalled since their feed last read, and whether the reader task is running.
    private var signalled: Set<String> = []
    private var reading = false

    init(store: Store, pod: String) {
        self.log = Log(store: store, pod: pod)
    }

    /// A watcher's subscription: its events and the id of the last entry it will not receive
    /// through `events` (the watcher replays older entries itself, as the deliver policy says).
    struct Subscription: Sendable {
        let id: UUID
        let events: AsyncStream<FeedEvent<Log.Entry>>
        let cursor: Int64
    }

    func subscribe(threadId: String) async throws -> Subscription {
        let (events, continuation) = AsyncStream.makeStream(of: FeedEvent<Log.Entry>.self)
        let id = UUID()
        if closed {
            continuation.finish()
            return Subscription(id: id, events: events, cursor: 0)
        }
        if feeds[threadId] == nil {
            let token = try await log.watch(threadId: threadId)
            let lastID = try await log.lastID(threadId: threadId)
            // Another watcher may have opened the feed while this one read; theirs is current.
            if feeds[threadId] == nil && !closed {
                feeds[threadId] = Feed(token: token, lastID: lastID)
                // Signals for entries committed during the read found no feed; read once more.
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
        if let feed = feeds[threadId], feed.watchers.isEmpty {
            feeds[threadId] = nil
            let log = log
            Task { await log.unwatch(threadId: threadId, token: feed.token) }
        }
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

    /// Reads the thread's new entries and hands them to its watchers. Only the reader task calls
    /// this, so `lastID` cannot move while the read is in flight; a feed closed and reopened
    /// meanwhile (by its last watcher leaving and a new one arriving) is left to its own read.
    private func read(threadId: String) async {
        guard let lastID = feeds[threadId]?.lastID,
            let rows = try? await log.entries(threadId: threadId, afterID: lastID), let last = rows.last.map(Log.id(of:)),
            var feed = feeds[threadId], feed.lastID == lastID
        else { return }
        feed.lastID = last
        feeds[threadId] = feed
        let event = FeedEvent<Log.Entry>.chunks(rows, frames: Log.frames(rows))
        for continuation in feed.watchers.values { continuation.yield(event) }
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
        let log = log
        for (threadId, feed) in feeds {
            for continuation in feed.watchers.values { continuation.finish() }
            Task { await log.unwatch(threadId: threadId, token: feed.token) }
        }
        feeds.removeAll()
    }
}

/// Sends every watcher a keepalive each `keepaliveMillis` (and makes every feed re-read, in case a
/// datagram was lost); on shutdown, ends every stream so the HTTP server can finish.
struct KeepaliveTicker<Log: ThreadLog>: Service {
    let feeds: ThreadFeeds<Log>
    let keepaliveMillis: Int64

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(keepaliveMillis)) }
            await feeds.tick()
        }
        await feeds.closeAll()
    }
}
