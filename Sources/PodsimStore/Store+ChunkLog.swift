import GRDB

/// The per-thread chunk log: the stand-in for the real system's JetStream buffer.
extension Store {
    /// One chunk to append: its sequence number within the attempt and its JSON body.
    public struct NewChunk: Sendable, Equatable {
        public var seq: Int
        public var body: String

        public init(seq: Int, body: String) {
            self.seq = seq
            self.body = body
        }
    }

    /// Appends chunks for an attempt. With `fenced`, the write is refused (`StoreError.fenced`)
    /// unless the pod still owns the running attempt.
    public func appendChunks(
        _ chunks: [NewChunk], threadId: String, runId: Int64, attempt: Int, pod: String, fenced: Bool = true
    ) throws {
        let now = wallClock()
        try pool.write { db in
            if fenced {
                let owned = try Bool.fetchOne(
                    db,
                    sql: "SELECT 1 FROM run WHERE id = ? AND attempt = ? AND ownerPod = ? AND state = 'running'",
                    arguments: [runId, attempt, pod]) ?? false
                if !owned { throw StoreError.fenced(runId: runId, attempt: attempt) }
            }
            let statement = try db.cachedStatement(
                sql: "INSERT INTO chunk (threadId, runId, attempt, seq, pod, body, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?)")
            for chunk in chunks {
                try statement.execute(arguments: [threadId, runId, attempt, chunk.seq, pod, chunk.body, now])
            }
        }
    }

    /// The highest chunk id of a thread (0 when it has none).
    public func lastChunkID(threadId: String) throws -> Int64 {
        try pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT max(id) FROM chunk WHERE threadId = ?", arguments: [threadId]) ?? 0
        }
    }

    /// Chunks of a thread with an id above `afterID`, in log order.
    public func chunks(threadId: String, afterID: Int64) throws -> [StoredChunk] {
        try pool.read { db in
            try StoredChunk.fetchAll(
                db, sql: "SELECT * FROM chunk WHERE threadId = ? AND id > ? ORDER BY id",
                arguments: [threadId, afterID])
        }
    }

    /// What an attaching watcher replays: when the store says the thread is `in_progress`,
    /// every logged chunk of its running run up to `upToID`; otherwise nothing.
    public func replay(threadId: String, upToID: Int64) throws -> [StoredChunk] {
        try pool.read { db in
            guard let thread = try ChatThread.fetchOne(db, key: threadId), thread.status == .inProgress,
                let runId = try Int64.fetchOne(
                    db, sql: "SELECT id FROM run WHERE threadId = ? AND state = 'running' ORDER BY id DESC LIMIT 1",
                    arguments: [threadId])
            else { return [] }
            return try StoredChunk.fetchAll(
                db, sql: "SELECT * FROM chunk WHERE runId = ? AND id <= ? ORDER BY id",
                arguments: [runId, upToID])
        }
    }

    /// Every logged chunk of a run, in log order.
    public func chunks(runId: Int64) throws -> [StoredChunk] {
        try pool.read { db in
            try StoredChunk.filter(Column("runId") == runId).order(Column("id")).fetchAll(db)
        }
    }
}
