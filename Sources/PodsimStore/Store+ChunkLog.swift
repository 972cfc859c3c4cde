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

    /// Appends chunks for an attempt in one statement, so a batch lands whole or not at all. With
    /// `fenced`, the write is refused (`StoreError.fenced`) unless the pod still owns the running
    /// attempt; the ownership check is part of the same statement. Returns the pods watching the
    /// thread (`watch`), read in the same transaction: the ones to tell.
    @discardableResult
    public func appendChunks(
        _ chunks: [NewChunk], threadId: String, runId: Int64, attempt: Int, pod: String, fenced: Bool = true
    ) async throws -> [String] {
        guard !chunks.isEmpty else { return [] }
        let rows = Array(repeating: "(?, ?)", count: chunks.count).joined(separator: ", ")
        let fence = fenced ? "WHERE EXISTS (SELECT 1 FROM run WHERE id = ? AND attempt = ? AND ownerPod = ? AND state = 'running')" : ""
        let now = now()
        return try await database.withTransaction { transaction in
            let inserted = try transaction.execute(
                """
                INSERT INTO chunk (threadId, runId, attempt, seq, pod, body, createdAt)
                SELECT ?, ?, ?, column1, ?, column2, ? FROM (VALUES \(rows)) \(fence) RETURNING id
                """,
                arguments(threadId, runId, attempt, pod, now)
                    + chunks.flatMap { arguments($0.seq, $0.body) }
                    + (fenced ? arguments(runId, attempt, pod) : []))
            if inserted.isEmpty { throw StoreError.fenced(runId: runId, attempt: attempt) }
            try self.journal(
                chunks.map { chunk in
                    .chunk(
                        .chunkAppended, threadId: threadId, run: String(runId), attempt: attempt, seq: chunk.seq,
                        chunkId: StoredChunk.chunkID(runId: runId, attempt: attempt, seq: chunk.seq), body: chunk.body)
                },
                in: transaction)
            return try self.watchers(of: threadId, in: transaction)
        }
    }

    /// The highest chunk id of a thread (0 when it has none).
    public func lastChunkID(threadId: String) async throws -> Int64 {
        let rows = try await database.read("SELECT max(id) AS last FROM chunk WHERE threadId = ?", arguments(threadId))
        return try rows.first?.optionalInt64("last") ?? 0
    }

    /// Chunks of a thread with an id above `afterID`, in log order.
    public func chunks(threadId: String, afterID: Int64) async throws -> [StoredChunk] {
        try await database.read("SELECT * FROM chunk WHERE threadId = ? AND id > ? ORDER BY id", arguments(threadId, afterID))
            .map(StoredChunk.init(row:))
    }

    /// What an attaching watcher replays: the chunks up to `upToID` of the thread's running run
    /// only, and only while the store says the thread is `in_progress`; otherwise nothing. One
    /// statement, so the status and the chunks come from one snapshot.
    public func replayOfRunningAttempt(threadId: String, upToID: Int64) async throws -> [StoredChunk] {
        try await database.read(
            """
            SELECT * FROM chunk WHERE id <= ? AND runId = (
              SELECT r.id FROM run r JOIN thread t ON t.id = r.threadId
              WHERE r.threadId = ? AND r.state = 'running' AND t.status = 'in_progress'
              ORDER BY r.id DESC LIMIT 1)
            ORDER BY id
            """,
            arguments(upToID, threadId)
        ).map(StoredChunk.init(row:))
    }

    /// Every logged chunk of a run, in log order.
    public func chunks(runId: Int64) async throws -> [StoredChunk] {
        try await database.read("SELECT * FROM chunk WHERE runId = ? ORDER BY id", arguments(runId)).map(StoredChunk.init(row:))
    }
}
