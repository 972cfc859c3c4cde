/// The hosted profile's writes to a thread's run columns and to its keyed parts. Every terminal
/// write is guarded by `status = 'in_progress'` (the first writer wins); none is scoped to the
/// turn's fence unless the caller passes one (only the cancel's ghost force-fail does).
extension Store {
    /// `RUN_STARTED` (the child's prepareRun, also on recovery): `in_progress`, the start time,
    /// no progress yet, no failure record, no pending cancel. Unguarded, as in the real reactor.
    /// Before #4027 it left `last_progress_at` alone (`clearsProgress` false), so a new turn
    /// started out with the previous turn's progress time.
    public func markRunStarted(threadId: String, clearsProgress: Bool = true) async throws {
        let now = now()
        _ = try await database.write(
            """
            UPDATE thread SET status = 'in_progress', runStartedAt = ?, \(clearsProgress ? "lastProgressAt = NULL, " : "")failureKind = NULL,
              failureReason = NULL, cancelRequestedAt = NULL, updatedAt = ? WHERE id = ?
            """,
            arguments(now, now, threadId))
    }

    /// Fails the thread's run if it is still in progress (and, with `fence`, still that turn's).
    /// A nil `kind` leaves the failure record empty (the ghost force-fail writes only the status).
    /// `onlyInProgress: false` is the unguarded write of the pre-#5039 projector
    /// (`gap-after-done-fatal`): it fails a settled run too.
    @discardableResult
    public func markRunFailed(
        threadId: String, kind: String?, reason: String?, fence: String? = nil, onlyInProgress: Bool = true
    ) async throws -> Bool {
        let now = now()
        return try await database.withTransaction { transaction in
            guard let failed = try transaction.execute(
                """
                UPDATE thread SET status = 'failed', failureKind = coalesce(?, failureKind), failureReason = coalesce(?, failureReason),
                  updatedAt = ? WHERE id = ? \(onlyInProgress ? "AND status = 'in_progress'" : "") \(fence == nil ? "" : "AND fence = ?")
                RETURNING fence
                """,
                arguments(kind, reason, now, threadId) + (fence.map { arguments($0) } ?? [])
            ).first else { return false }
            let detail = [kind, reason].compactMap { $0 }.joined(separator: ": ")
            try self.journalTurn(
                .runFinished, threadId: threadId, fence: try failed.optionalString("fence"), state: ThreadStatus.failed.rawValue,
                detail: detail.isEmpty ? nil : detail, in: transaction)
            return true
        }
    }

    /// Settles a clean run (`completeRunIfNotCompleted`, `requiresActionIfInProgress`).
    @discardableResult
    public func settleRun(threadId: String, status: ThreadStatus) async throws -> Bool {
        let now = now()
        return try await database.withTransaction { transaction in
            guard let settled = try transaction.execute(
                "UPDATE thread SET status = ?, updatedAt = ? WHERE id = ? AND status = 'in_progress' RETURNING fence",
                arguments(status.rawValue, now, threadId)
            ).first else { return false }
            try self.journalTurn(
                .runFinished, threadId: threadId, fence: try settled.optionalString("fence"), state: status.rawValue, in: transaction)
            return true
        }
    }

    /// The pre-#3917 run claim (`owner-claim-cas`): the pod starting the thread's run takes
    /// `run_owner_pod` if nobody holds it or it already does. Returns the holder when another
    /// pod does (nil when the claim is this pod's).
    public func claimRunOwner(threadId: String, pod: String) async throws -> String? {
        let claimed = try await database.write(
            "UPDATE thread SET runOwnerPod = ? WHERE id = ? AND (runOwnerPod IS NULL OR runOwnerPod = ?) RETURNING id",
            arguments(pod, threadId, pod))
        guard claimed.isEmpty else { return nil }
        return try await database.read("SELECT runOwnerPod FROM thread WHERE id = ?", arguments(threadId)).first?.optionalString("runOwnerPod")
    }

    /// Gives the pre-#3917 claim back when this pod's run ends.
    public func releaseRunOwner(threadId: String, pod: String) async throws {
        _ = try await database.write("UPDATE thread SET runOwnerPod = NULL WHERE id = ? AND runOwnerPod = ?", arguments(threadId, pod))
    }

    /// The projector's progress tap: `last_progress_at = now`.
    public func bumpProgress(threadId: String) async throws {
        _ = try await database.write("UPDATE thread SET lastProgressAt = ? WHERE id = ?", arguments(now(), threadId))
    }

    /// The durable cancel flag (`setCancelRequested`), cleared by the next run's start.
    public func requestHostedCancel(threadId: String) async throws {
        let now = now()
        try await database.withTransaction { transaction in
            guard let flagged = try transaction.execute(
                "UPDATE thread SET cancelRequestedAt = ? WHERE id = ? RETURNING fence", arguments(now, threadId)
            ).first else { return }
            try self.journalTurn(.runCancelRequested, threadId: threadId, fence: try flagged.optionalString("fence"), in: transaction)
        }
    }

    /// Inserts parts whose key is not there yet (`appendParts`: step parts converge on re-projection).
    public func appendKeyedParts(_ parts: [MessagePart]) async throws {
        guard let first = parts.first else { return }
        let now = now()
        try await database.withTransaction { transaction in
            let written = try self.insertKeyedParts(parts, at: now, in: transaction)
            guard !written.isEmpty else { return }
            try self.journal(
                .partsProjected(written, threadId: first.threadId, run: nil, messageId: first.messageId, replacing: false), in: transaction)
        }
    }

    /// Replaces every part of one message (`replaceFinal`, the projector's terminal write).
    public func replaceMessageParts(threadId: String, messageId: String, with parts: [MessagePart]) async throws {
        let now = now()
        try await database.withTransaction { transaction in
            try transaction.execute("DELETE FROM part WHERE threadId = ? AND messageId = ?", arguments(threadId, messageId))
            let written = try self.insertKeyedParts(parts, at: now, in: transaction)
            try self.journal(
                .partsProjected(written, threadId: threadId, run: nil, messageId: messageId, replacing: true), in: transaction)
        }
    }

    /// Deletes one message's parts (`clearSynthesizedError`).
    public func deleteMessageParts(threadId: String, messageId: String) async throws {
        _ = try await database.write("DELETE FROM part WHERE threadId = ? AND messageId = ?", arguments(threadId, messageId))
    }

    /// The latest `createdAt` of one message's parts (nil when it has none): the projector
    /// anchors the reply right after its own user message.
    public func lastPartCreatedAt(threadId: String, messageId: String) async throws -> Int64? {
        try await database.read(
            "SELECT max(createdAt) AS last FROM part WHERE threadId = ? AND messageId = ?", arguments(threadId, messageId)
        ).first?.optionalInt64("last")
    }

    /// Inserts keyed parts, skipping keys already present; `createdAt` is each part's own when set
    /// (the projector orders a reply right after its user message), else `now`. Returns the parts
    /// it wrote.
    @discardableResult
    func insertKeyedParts(_ parts: [MessagePart], at now: Int64, in transaction: Transaction) throws -> [MessagePart] {
        guard !parts.isEmpty else { return [] }
        let stamped = parts.map { part in
            var part = part
            if part.createdAt == 0 { part.createdAt = now }
            return part
        }
        let inserted = try transaction.execute(
            "INSERT OR IGNORE INTO part (threadId, runId, role, type, body, pod, createdAt, key, messageId) VALUES "
                + Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?)", count: stamped.count).joined(separator: ", ")
                + " RETURNING key",
            stamped.flatMap { arguments($0.threadId, $0.runId, $0.role, $0.type, $0.body, $0.pod, $0.createdAt, $0.key, $0.messageId) })
        let insertedKeys = Set(try inserted.map { try $0.optionalString("key") })
        return stamped.filter { insertedKeys.contains($0.key) }
    }

    /// Journals an event of a hosted turn, identified by its fence: the turn's message and, once
    /// its child workflow exists, the attempt (1 + the child's recoveries), read in `transaction`.
    func journalTurn(
        _ kind: JournalKind, threadId: String, fence: String?, state: String? = nil, detail: String? = nil, in transaction: Transaction
    ) throws {
        guard journalWriter != nil else { return }
        var messageId: String?
        var attempt: Int?
        if let fence, let turn = try transaction.execute(
            "SELECT kind, messageId, recoveries FROM workflow WHERE threadId = ? AND fence = ? ORDER BY kind = 'child' DESC LIMIT 1",
            arguments(threadId, fence)
        ).first {
            messageId = try turn.string("messageId")
            if try turn.string("kind") == WorkflowKind.child.rawValue { attempt = 1 + (try turn.int("recoveries")) }
        }
        try journal(
            JournalRecord(kind: kind, threadId: threadId, messageId: messageId, run: fence, attempt: attempt, state: state, detail: detail),
            in: transaction)
    }
}
