/// The hosted profile's per-thread subject: the stand-in for the JetStream subject
/// `decopilot.stream.<threadId>`. Messages are appended in stream order, a purge deletes the
/// thread's messages, and a message id published within the duplicate window is dropped (and
/// reported as a success, as JetStream acknowledges it) even when the purge removed the original.
extension Store {
    /// Publishes messages in order, in one transaction; returns, for each, whether it was stored
    /// (false: a duplicate of a message id seen within `dedupWindowMillis`). Throws `BusError`
    /// while a bus fault refuses the pod's publishes.
    @discardableResult
    public func publish(_ messages: [SubjectPublish], threadId: String, pod: String, dedupWindowMillis: Int64) async throws -> [Bool] {
        guard !messages.isEmpty else { return [] }
        let now = now()
        return try await database.withTransaction { transaction in
            try self.checkPublishAllowed(pod: pod, at: now, in: transaction)
            let attempts = try self.journaledAttempts(threadId: threadId, fences: Set(messages.compactMap(\.fence)), in: transaction)
            var stored: [Bool] = []
            for message in messages {
                let attempt = message.fence.flatMap { attempts[$0] }
                if let msgId = message.msgId {
                    let seen = try transaction.execute(
                        "SELECT 1 FROM dedup WHERE msgId = ? AND storedAt > ?", arguments(msgId, now - dedupWindowMillis))
                    if !seen.isEmpty {
                        try self.journal(.subject(.chunkDropped, message, threadId: threadId, attempt: attempt), in: transaction)
                        stored.append(false)
                        continue
                    }
                    try transaction.execute(
                        "INSERT INTO dedup (msgId, storedAt) VALUES (?, ?) ON CONFLICT (msgId) DO UPDATE SET storedAt = excluded.storedAt",
                        arguments(msgId, now))
                }
                try self.insertSubjectMessage(message, threadId: threadId, pod: pod, at: now, attempt: attempt, in: transaction)
                stored.append(true)
            }
            return stored
        }
    }

    /// Stores one message and journals it (`attempt`: its turn's, when the journal should say).
    func insertSubjectMessage(
        _ message: SubjectPublish, threadId: String, pod: String, at now: Int64, attempt: Int? = nil, in transaction: Transaction
    ) throws {
        try transaction.execute(
            "INSERT INTO subject (threadId, msgId, fence, seq, pod, body, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?)",
            arguments(threadId, message.msgId, message.fence, message.seq, pod, message.body, now))
        try journal(.subject(.chunkAppended, message, threadId: threadId, attempt: attempt), in: transaction)
    }

    /// Each fence's attempt (1 + its child's recoveries) for the journal; empty when not journaling.
    private func journaledAttempts(threadId: String, fences: Set<String>, in transaction: Transaction) throws -> [String: Int] {
        guard journalWriter != nil else { return [:] }
        var attempts: [String: Int] = [:]
        for fence in fences {
            let child = try transaction.execute(
                "SELECT recoveries FROM workflow WHERE id = ?", arguments(WorkflowID.child(threadId: threadId, fence: fence))
            ).first
            if let child { attempts[fence] = 1 + (try child.int("recoveries")) }
        }
        return attempts
    }

    /// How long purged messages stay readable for consumers that were already delivering when
    /// the purge landed (JetStream has pushed those to them); after that they are deleted.
    static let purgedRetentionMillis: Int64 = 60_000

    /// Purges the thread's subject: every message stored so far is gone for consumers created
    /// from now on. A consumer already reading keeps what was published after its cursor, as
    /// JetStream's push consumers do. The duplicate window keeps its ids.
    public func purgeSubject(threadId: String) async throws {
        let now = now()
        try await database.withTransaction { transaction in
            try transaction.execute(
                """
                INSERT INTO subjectPurge (threadId, throughID) VALUES (?, (SELECT coalesce(max(id), 0) FROM subject WHERE threadId = ?))
                ON CONFLICT (threadId) DO UPDATE SET throughID = excluded.throughID
                """,
                arguments(threadId, threadId))
            try transaction.execute(
                """
                DELETE FROM subject WHERE threadId = ? AND createdAt < ?
                  AND id <= (SELECT throughID FROM subjectPurge WHERE threadId = ?)
                """,
                arguments(threadId, now - Self.purgedRetentionMillis, threadId))
            try self.journal(JournalRecord(kind: .logPurged, threadId: threadId), in: transaction)
        }
    }

    /// The stream sequence a new `DeliverPolicy.All` consumer starts after: the thread's last purge (0 if none).
    public func subjectPurgePoint(threadId: String) async throws -> Int64 {
        try await database.read("SELECT throughID FROM subjectPurge WHERE threadId = ?", arguments(threadId)).first?.int64("throughID") ?? 0
    }

    /// What the subject holds for a new consumer: the messages after the last purge, in order.
    public func retainedSubjectMessages(threadId: String) async throws -> [SubjectMessage] {
        try await database.read(
            """
            SELECT * FROM subject WHERE threadId = ? AND id > coalesce((SELECT throughID FROM subjectPurge WHERE threadId = ?), 0) ORDER BY id
            """,
            arguments(threadId, threadId)
        ).map(SubjectMessage.init(row:))
    }

    /// The thread's messages after stream sequence `afterID`, in order, as a consumer that is
    /// already reading sees them (messages purged since it passed them are still delivered).
    public func subjectMessages(threadId: String, afterID: Int64) async throws -> [SubjectMessage] {
        try await database.read(
            "SELECT * FROM subject WHERE threadId = ? AND id > ? ORDER BY id", arguments(threadId, afterID)
        ).map(SubjectMessage.init(row:))
    }

    /// The last stream sequence of a thread (0 when it has none): where a `DeliverPolicy.New` consumer starts.
    public func lastSubjectID(threadId: String) async throws -> Int64 {
        try await database.read("SELECT max(id) AS last FROM subject WHERE threadId = ?", arguments(threadId)).first?.optionalInt64("last") ?? 0
    }
}

extension JournalRecord {
    /// A message on a thread's subject: the bus msgId is its chunk id and its fence the run.
    static func subject(_ kind: JournalKind, _ message: SubjectPublish, threadId: String, attempt: Int?) -> JournalRecord {
        .chunk(kind, threadId: threadId, run: message.fence, attempt: attempt, seq: message.seq, chunkId: message.msgId, body: message.body)
    }
}
