/// The run queue: enqueue, claim with a lease, renew, release, cancel and the fenced terminal write.
extension Store {
    /// Outcome of an idempotent enqueue.
    public struct Enqueued: Sendable, Equatable {
        public var run: Run
        /// False when an identical POST (same thread and user message id) had already enqueued it.
        public var created: Bool
    }

    /// Records the user message (and its text part), pins the provider kind on the thread and
    /// enqueues the run, all in one transaction. Idempotent on (thread, message id).
    public func enqueueRun(
        threadId: String, orgId: String, userId: String, message: ChatMessage, providerKind: String
    ) async throws -> Enqueued {
        let now = now()
        return try await database.withTransaction { transaction in
            try transaction.execute(
                "INSERT OR IGNORE INTO message (id, threadId, role, text, createdAt) VALUES (?, ?, ?, ?, ?)",
                arguments(message.id, message.threadId, message.role, message.text, message.createdAt))
            let inserted = try transaction.execute(
                """
                INSERT INTO run (threadId, orgId, userId, messageId, providerKind, state, attempt, cancelRequested, createdAt)
                VALUES (?, ?, ?, ?, ?, 'queued', 0, 0, ?) ON CONFLICT (threadId, messageId) DO NOTHING RETURNING *
                """,
                arguments(threadId, orgId, userId, message.id, providerKind, now))
            guard let row = inserted.first else {
                let existing = try transaction.execute(
                    "SELECT * FROM run WHERE threadId = ? AND messageId = ?", arguments(threadId, message.id))
                return Enqueued(run: try Run(row: existing[0]), created: false)
            }
            let run = try Run(row: row)
            try self.insertParts(
                [MessagePart(threadId: threadId, runId: run.id, role: "user", type: "text", body: message.text, pod: nil, createdAt: now)],
                in: transaction)
            try transaction.execute(
                "UPDATE thread SET sandboxProviderKind = ?, updatedAt = ? WHERE id = ?", arguments(providerKind, now, threadId))
            try self.journal(
                JournalRecord(kind: .runEnqueued, threadId: threadId, messageId: message.id, run: run.id.map(String.init)), in: transaction)
            return Enqueued(run: run, created: true)
        }
    }

    /// How a claim treats runs whose owner stopped renewing. The fixed behaviour is the default;
    /// the pod's bug switches pick the historical variants.
    public struct ClaimPolicy: Sendable, Equatable {
        /// Reclaim an expired run even though a (dead) pod is still recorded as its owner.
        public var reclaimOwnedRuns = true
        /// Delete the dead attempt's chunks when reclaiming, so late watchers see each chunk once.
        public var purgeDeadAttempt = true
        /// Start the new attempt's sequence at 1 (instead of continuing the dead attempt's).
        public var restartSequence = true

        public init(reclaimOwnedRuns: Bool = true, purgeDeadAttempt: Bool = true, restartSequence: Bool = true) {
            self.reclaimOwnedRuns = reclaimOwnedRuns
            self.purgeDeadAttempt = purgeDeadAttempt
            self.restartSequence = restartSequence
        }
    }

    /// A run attempt a pod now owns.
    public struct ClaimedRun: Sendable, Equatable {
        public var run: Run
        public var runId: Int64 { run.id! }
        public var attempt: Int { run.attempt }
        /// Sequence number of this attempt's first chunk.
        public var firstSeq: Int
        /// True when this attempt took over from an owner that stopped renewing or drained.
        public var isReclaim: Bool
        /// The thread's user messages up to and including this run's message, oldest first.
        public var messages: [ChatMessage]
    }

    /// Atomically claims one run: first a running run whose lease expired (a reclaim), else the
    /// oldest queued run of a thread with nothing running. Nil when there is nothing to claim.
    public func claimRun(pod: String, leaseMillis: Int64, policy: ClaimPolicy = .init()) async throws -> ClaimedRun? {
        try await claimRuns(pod: pod, leaseMillis: leaseMillis, policy: policy, limit: 1).first
    }

    /// Claims up to `limit` runs in one transaction, each as `claimRun` would, in the order
    /// `claimRun` would take them one by one: a pod with free workers fills them with one write.
    public func claimRuns(pod: String, leaseMillis: Int64, policy: ClaimPolicy = .init(), limit: Int) async throws -> [ClaimedRun] {
        let now = now()
        return try await database.withTransaction { transaction in
            var claims: [ClaimedRun] = []
            while claims.count < limit, let claim = try self.claimOne(pod: pod, leaseMillis: leaseMillis, policy: policy, now: now, in: transaction) {
                claims.append(claim)
            }
            return claims
        }
    }

    private func claimOne(pod: String, leaseMillis: Int64, policy: ClaimPolicy, now: Int64, in transaction: Transaction) throws -> ClaimedRun? {
        // A running run whose lease expired (a reclaim), else the oldest queued run of a thread
        // with nothing running.
        let candidate = try transaction.execute(
            """
            SELECT id, state = 'running' AS reclaim FROM run WHERE id = coalesce(
              (SELECT id FROM run WHERE state = 'running' AND leaseExpiresAt < ?
               \(policy.reclaimOwnedRuns ? "" : "AND ownerPod IS NULL")
               ORDER BY id LIMIT 1),
              (SELECT r.id FROM run r WHERE r.state = 'queued' AND NOT EXISTS (
                 SELECT 1 FROM run o WHERE o.threadId = r.threadId
                 AND (o.state = 'running' OR (o.state = 'queued' AND o.id < r.id)))
               ORDER BY r.id LIMIT 1))
            """,
            arguments(now)
        ).first
        guard let candidate else { return nil }
        let runId = try candidate.int64("id")
        let isReclaim = try candidate.bool("reclaim")
        var firstSeq = 1
        var purged = false
        if isReclaim {
            if !policy.restartSequence {
                let last = try transaction.execute("SELECT max(seq) AS seq FROM chunk WHERE runId = ?", arguments(runId))
                firstSeq = (try last.first?.optionalInt64("seq")).map { Int($0) + 1 } ?? 1
            }
            if policy.purgeDeadAttempt {
                purged = try !transaction.execute("DELETE FROM chunk WHERE runId = ? RETURNING id", arguments(runId)).isEmpty
            }
        }
        let claimed = try transaction.execute(
            """
            UPDATE run SET state = 'running', attempt = attempt + 1, ownerPod = ?, leaseExpiresAt = ? WHERE id = ? RETURNING *
            """,
            arguments(pod, now + leaseMillis, runId))
        let run = try Run(row: claimed[0])
        try transaction.execute(
            "UPDATE thread SET status = 'in_progress', runOwnerPod = ?, updatedAt = ? WHERE id = ?", arguments(pod, now, run.threadId))
        var records = [JournalRecord(
            kind: isReclaim ? .runReclaimed : .runClaimed, threadId: run.threadId, messageId: run.messageId, run: String(runId),
            attempt: run.attempt)]
        if purged {
            records.append(JournalRecord(
                kind: .logPurged, threadId: run.threadId, messageId: run.messageId, run: String(runId), attempt: run.attempt - 1))
        }
        try self.journal(records, in: transaction)
        let messages = try transaction.execute(
            """
            SELECT m.* FROM message m WHERE m.threadId = ? AND m.createdAt <=
              (SELECT createdAt FROM message WHERE threadId = ? AND id = ?)
            ORDER BY m.createdAt, m.rowid
            """,
            arguments(run.threadId, run.threadId, run.messageId)
        ).map(ChatMessage.init(row:))
        return ClaimedRun(run: run, firstSeq: firstSeq, isReclaim: isReclaim, messages: messages)
    }

    /// What a lease renewal learned.
    public struct LeaseStatus: Sendable, Equatable {
        public var held: Bool
        public var cancelRequested: Bool
    }

    /// Extends the lease of an attempt this pod still owns.
    public func renewLease(runId: Int64, attempt: Int, pod: String, leaseMillis: Int64) async throws -> LeaseStatus {
        let renewed = try await database.write(
            """
            UPDATE run SET leaseExpiresAt = ? WHERE id = ? AND attempt = ? AND ownerPod = ? AND state = 'running'
            RETURNING cancelRequested
            """,
            arguments(now() + leaseMillis, runId, attempt, pod))
        if let row = renewed.first { return LeaseStatus(held: true, cancelRequested: try row.bool("cancelRequested")) }
        let cancel = try await database.read("SELECT cancelRequested FROM run WHERE id = ?", arguments(runId)).first
        return LeaseStatus(held: false, cancelRequested: try cancel?.bool("cancelRequested") ?? false)
    }

    /// Gives up an attempt at once (graceful drain): the lease is expired and the owner cleared,
    /// so any survivor reclaims it on its next poll.
    public func releaseRun(runId: Int64, attempt: Int, pod: String) async throws {
        try await database.withTransaction { transaction in
            guard let released = try transaction.execute(
                """
                UPDATE run SET leaseExpiresAt = 0, ownerPod = NULL
                WHERE id = ? AND attempt = ? AND ownerPod = ? AND state = 'running' RETURNING threadId, messageId
                """,
                arguments(runId, attempt, pod)
            ).first else { return }
            try self.journal(
                JournalRecord(
                    kind: .runReleased, threadId: try released.string("threadId"), messageId: try released.string("messageId"),
                    run: String(runId), attempt: attempt),
                in: transaction)
        }
    }

    /// Result of a cancel request for a thread.
    public enum CancelOutcome: Sendable, Equatable {
        /// No queued or running run.
        case nothingToCancel
        /// A queued run was failed on the spot.
        case cancelledQueued(runId: Int64)
        /// A running run was flagged; its owner aborts it.
        case requested(runId: Int64, ownerPod: String?)
    }

    public func requestCancel(threadId: String) async throws -> CancelOutcome {
        let now = now()
        return try await database.withTransaction { transaction in
            if let running = try transaction.execute(
                """
                UPDATE run SET cancelRequested = 1
                WHERE id = (SELECT id FROM run WHERE threadId = ? AND state = 'running' LIMIT 1) RETURNING id, ownerPod, messageId, attempt
                """,
                arguments(threadId)
            ).first {
                let runId = try running.int64("id")
                try self.journal(
                    JournalRecord(
                        kind: .runCancelRequested, threadId: threadId, messageId: try running.string("messageId"), run: String(runId),
                        attempt: try running.int("attempt")),
                    in: transaction)
                return .requested(runId: runId, ownerPod: try running.optionalString("ownerPod"))
            }
            if let queued = try transaction.execute(
                """
                UPDATE run SET state = 'failed', cancelRequested = 1, error = 'cancelled', finishedAt = ?
                WHERE id = (SELECT id FROM run WHERE threadId = ? AND state = 'queued' ORDER BY id LIMIT 1) RETURNING id, messageId, attempt
                """,
                arguments(now, threadId)
            ).first {
                let runId = try queued.int64("id")
                let messageId = try queued.string("messageId")
                try self.journal(
                    [
                        JournalRecord(kind: .runCancelRequested, threadId: threadId, messageId: messageId, run: String(runId)),
                        JournalRecord(
                            kind: .runFinished, threadId: threadId, messageId: messageId, run: String(runId), attempt: try queued.int("attempt"),
                            state: RunState.failed.rawValue, detail: "cancelled"),
                    ],
                    in: transaction)
                return .cancelledQueued(runId: runId)
            }
            return .nothingToCancel
        }
    }

    public func run(id: Int64) async throws -> Run? {
        try await database.read("SELECT * FROM run WHERE id = ?", arguments(id)).first.map { try Run(row: $0) }
    }

    /// The terminal write of an attempt, computed from its own chunk log inside the transaction.
    public struct Projection: Sendable {
        public var state: RunState
        public var error: String?
        public var parts: [MessagePart]

        public init(state: RunState, error: String?, parts: [MessagePart]) {
            self.state = state
            self.error = error
            self.parts = parts
        }
    }

    /// Persists the attempt's parts exactly once and sets the run and thread terminal. With
    /// `fenced`, nothing is written unless the pod still owns this attempt.
    @discardableResult
    public func finishRun(
        runId: Int64, attempt: Int, pod: String, fenced: Bool = true,
        project: @escaping @Sendable ([StoredChunk]) -> Projection
    ) async throws -> Projection {
        let now = now()
        return try await database.withTransaction { transaction in
            // The run's ownership and the attempt's chunks in one statement.
            let rows = try transaction.execute(
                """
                SELECT r.threadId AS run_threadId, r.messageId AS run_messageId, r.attempt AS run_attempt, r.ownerPod AS run_ownerPod,
                  r.state AS run_state, c.*
                FROM run r LEFT JOIN chunk c ON c.runId = r.id AND c.attempt = ?
                WHERE r.id = ? ORDER BY c.seq, c.id
                """,
                arguments(attempt, runId))
            guard let first = rows.first else { throw StoreError.fenced(runId: runId, attempt: attempt) }
            let owned = try first.int("run_attempt") == attempt && first.optionalString("run_ownerPod") == pod
                && first.string("run_state") == RunState.running.rawValue
            if fenced && !owned { throw StoreError.fenced(runId: runId, attempt: attempt) }
            let threadId = try first.string("run_threadId")
            let chunks = try rows.filter { try $0.optionalInt64("id") != nil }.map(StoredChunk.init(row:))
            let projection = project(chunks)
            let parts = projection.parts.map { part in
                var part = part
                part.createdAt = now
                return part
            }
            try self.insertParts(parts, in: transaction)
            try transaction.execute(
                "UPDATE run SET state = ?, error = ?, finishedAt = ?, leaseExpiresAt = NULL WHERE id = ?",
                arguments(projection.state.rawValue, projection.error, now, runId))
            let threadStatus: ThreadStatus = projection.state == .completed ? .completed : .failed
            try transaction.execute(
                "UPDATE thread SET status = ?, updatedAt = ? WHERE id = ?", arguments(threadStatus.rawValue, now, threadId))
            let messageId = try first.string("run_messageId")
            try self.journal(
                (parts.isEmpty ? [] : [.partsProjected(parts, threadId: threadId, run: String(runId), messageId: messageId, replacing: false)])
                    + [JournalRecord(
                        kind: .runFinished, threadId: threadId, messageId: messageId, run: String(runId), attempt: attempt,
                        state: projection.state.rawValue, detail: projection.error)],
                in: transaction)
            return projection
        }
    }

    /// Inserts parts with no fencing and no terminal transition (only the `double-projection` bug does this).
    public func insertParts(_ parts: [MessagePart]) async throws {
        guard let first = parts.first else { return }
        let now = now()
        let stamped = parts.map { part in
            var part = part
            part.createdAt = now
            return part
        }
        try await database.withTransaction { transaction in
            try self.insertParts(stamped, in: transaction)
            try self.journal(
                .partsProjected(stamped, threadId: first.threadId, run: first.runId.map(String.init), messageId: nil, replacing: false),
                in: transaction)
        }
    }

    /// All `parts` in one statement.
    private func insertParts(_ parts: [MessagePart], in transaction: Transaction) throws {
        guard !parts.isEmpty else { return }
        try transaction.execute(
            "INSERT INTO part (threadId, runId, role, type, body, pod, createdAt) VALUES "
                + Array(repeating: "(?, ?, ?, ?, ?, ?, ?)", count: parts.count).joined(separator: ", "),
            parts.flatMap { arguments($0.threadId, $0.runId, $0.role, $0.type, $0.body, $0.pod, $0.createdAt) })
    }

    /// Records that a sandbox was provisioned for a run (what scenarios count).
    public func recordSandbox(threadId: String, runId: Int64, kind: String, pod: String) async throws {
        _ = try await database.write(
            "INSERT INTO sandbox (threadId, runId, kind, pod, provisionedAt) VALUES (?, ?, ?, ?, ?)",
            arguments(threadId, runId, kind, pod, now()))
    }
}

extension Store {
    /// A cheap read-only check before `claimRun` takes the write lock: is anything claimable?
    public func hasClaimableRun(policy: ClaimPolicy = .init()) async throws -> Bool {
        let rows = try await database.read(
            """
            SELECT EXISTS (SELECT 1 FROM run WHERE state = 'running' AND leaseExpiresAt < ?
              \(policy.reclaimOwnedRuns ? "" : "AND ownerPod IS NULL"))
            OR EXISTS (SELECT 1 FROM run r WHERE r.state = 'queued' AND NOT EXISTS (
              SELECT 1 FROM run o WHERE o.threadId = r.threadId AND o.state = 'running')) AS claimable
            """,
            arguments(now()))
        return try rows.first?.bool("claimable") ?? false
    }

    /// The running run of a thread as its owner sees it, without claiming it (only the
    /// `attach-reexecutes` bug executes a run this way).
    public func runningRun(threadId: String) async throws -> ClaimedRun? {
        guard let row = try await database.read(
            "SELECT * FROM run WHERE threadId = ? AND state = 'running' ORDER BY id DESC LIMIT 1", arguments(threadId)
        ).first else { return nil }
        let messages = try await database.read(
            "SELECT * FROM message WHERE threadId = ? ORDER BY createdAt", arguments(threadId)
        ).map(ChatMessage.init(row:))
        return ClaimedRun(run: try Run(row: row), firstSeq: 1, isReclaim: false, messages: messages)
    }
}

extension Store {
    /// Flags a run as cancelled without any cross-pod request (the `cancel-local-only` path).
    public func flagCancel(runId: Int64) async throws {
        try await database.withTransaction { transaction in
            guard let flagged = try transaction.execute(
                "UPDATE run SET cancelRequested = 1 WHERE id = ? RETURNING threadId, messageId, attempt", arguments(runId)
            ).first else { return }
            try self.journal(
                JournalRecord(
                    kind: .runCancelRequested, threadId: try flagged.string("threadId"), messageId: try flagged.string("messageId"),
                    run: String(runId), attempt: try flagged.int("attempt")),
                in: transaction)
        }
    }
}
