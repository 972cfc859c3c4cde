import GRDB

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
    ) throws -> Enqueued {
        let now = wallClock()
        return try pool.write { db in
            if let existing = try Run.filter(Column("threadId") == threadId && Column("messageId") == message.id).fetchOne(db) {
                return Enqueued(run: existing, created: false)
            }
            try message.insert(db, onConflict: .ignore)
            let run = try Run(
                id: nil, threadId: threadId, orgId: orgId, userId: userId, messageId: message.id,
                providerKind: providerKind, state: .queued, attempt: 0, ownerPod: nil, leaseExpiresAt: nil,
                cancelRequested: false, error: nil, createdAt: now, finishedAt: nil
            ).inserted(db)
            try MessagePart(
                id: nil, threadId: threadId, runId: run.id, role: "user", type: "text",
                body: message.text, pod: nil, createdAt: now
            ).insert(db)
            try db.execute(
                sql: "UPDATE thread SET sandboxProviderKind = ?, updatedAt = ? WHERE id = ?",
                arguments: [providerKind, now, threadId])
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
    public func claimRun(pod: String, leaseMillis: Int64, policy: ClaimPolicy = .init()) throws -> ClaimedRun? {
        let now = wallClock()
        return try pool.write { db in
            var candidate = try Run.fetchOne(
                db,
                sql: """
                    SELECT * FROM run WHERE state = 'running' AND leaseExpiresAt < ?
                    \(policy.reclaimOwnedRuns ? "" : "AND ownerPod IS NULL")
                    ORDER BY id LIMIT 1
                    """,
                arguments: [now])
            let isReclaim = candidate != nil
            if candidate == nil {
                candidate = try Run.fetchOne(
                    db,
                    sql: """
                        SELECT * FROM run r WHERE r.state = 'queued' AND NOT EXISTS (
                          SELECT 1 FROM run o WHERE o.threadId = r.threadId
                          AND (o.state = 'running' OR (o.state = 'queued' AND o.id < r.id)))
                        ORDER BY r.id LIMIT 1
                        """)
            }
            guard var run = candidate, let runId = run.id else { return nil }
            var firstSeq = 1
            if isReclaim {
                if !policy.restartSequence {
                    firstSeq = (try Int.fetchOne(db, sql: "SELECT max(seq) FROM chunk WHERE runId = ?", arguments: [runId]) ?? 0) + 1
                }
                if policy.purgeDeadAttempt {
                    try db.execute(sql: "DELETE FROM chunk WHERE runId = ?", arguments: [runId])
                }
            }
            run.state = .running
            run.attempt += 1
            run.ownerPod = pod
            run.leaseExpiresAt = now + leaseMillis
            try run.update(db)
            try db.execute(
                sql: "UPDATE thread SET status = 'in_progress', runOwnerPod = ?, updatedAt = ? WHERE id = ?",
                arguments: [pod, now, run.threadId])
            let messages = try ChatMessage.fetchAll(
                db,
                sql: """
                    SELECT m.* FROM message m WHERE m.threadId = ? AND m.createdAt <=
                      (SELECT createdAt FROM message WHERE threadId = ? AND id = ?)
                    ORDER BY m.createdAt, m.rowid
                    """,
                arguments: [run.threadId, run.threadId, run.messageId])
            return ClaimedRun(run: run, firstSeq: firstSeq, isReclaim: isReclaim, messages: messages)
        }
    }

    /// What a lease renewal learned.
    public struct LeaseStatus: Sendable, Equatable {
        public var held: Bool
        public var cancelRequested: Bool
    }

    /// Extends the lease of an attempt this pod still owns.
    public func renewLease(runId: Int64, attempt: Int, pod: String, leaseMillis: Int64) throws -> LeaseStatus {
        let now = wallClock()
        return try pool.write { db in
            try db.execute(
                sql: """
                    UPDATE run SET leaseExpiresAt = ? WHERE id = ? AND attempt = ? AND ownerPod = ? AND state = 'running'
                    """,
                arguments: [now + leaseMillis, runId, attempt, pod])
            let held = db.changesCount == 1
            let cancel = try Bool.fetchOne(db, sql: "SELECT cancelRequested FROM run WHERE id = ?", arguments: [runId]) ?? false
            return LeaseStatus(held: held, cancelRequested: cancel)
        }
    }

    /// Gives up an attempt at once (graceful drain): the lease is expired and the owner cleared,
    /// so any survivor reclaims it on its next poll.
    public func releaseRun(runId: Int64, attempt: Int, pod: String) throws {
        try pool.write { db in
            try db.execute(
                sql: """
                    UPDATE run SET leaseExpiresAt = 0, ownerPod = NULL
                    WHERE id = ? AND attempt = ? AND ownerPod = ? AND state = 'running'
                    """,
                arguments: [runId, attempt, pod])
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

    public func requestCancel(threadId: String) throws -> CancelOutcome {
        let now = wallClock()
        return try pool.write { db in
            if var running = try Run.filter(Column("threadId") == threadId && Column("state") == RunState.running.rawValue).fetchOne(db) {
                running.cancelRequested = true
                try running.update(db)
                return .requested(runId: running.id!, ownerPod: running.ownerPod)
            }
            if var queued = try Run.filter(Column("threadId") == threadId && Column("state") == RunState.queued.rawValue)
                .order(Column("id")).fetchOne(db)
            {
                queued.state = .failed
                queued.cancelRequested = true
                queued.error = "cancelled"
                queued.finishedAt = now
                try queued.update(db)
                return .cancelledQueued(runId: queued.id!)
            }
            return .nothingToCancel
        }
    }

    public func run(id: Int64) throws -> Run? {
        try pool.read { db in try Run.fetchOne(db, key: id) }
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
        project: @Sendable ([StoredChunk]) -> Projection
    ) throws -> Projection {
        let now = wallClock()
        return try pool.write { db in
            guard var run = try Run.fetchOne(db, key: runId) else { throw StoreError.fenced(runId: runId, attempt: attempt) }
            if fenced, run.attempt != attempt || run.ownerPod != pod || run.state != .running {
                throw StoreError.fenced(runId: runId, attempt: attempt)
            }
            let chunks = try StoredChunk.filter(Column("runId") == runId && Column("attempt") == attempt)
                .order(Column("seq"), Column("id")).fetchAll(db)
            let projection = project(chunks)
            for var part in projection.parts {
                part.createdAt = now
                try part.insert(db)
            }
            run.state = projection.state
            run.error = projection.error
            run.finishedAt = now
            run.leaseExpiresAt = nil
            try run.update(db)
            let threadStatus: ThreadStatus = projection.state == .completed ? .completed : .failed
            try db.execute(
                sql: "UPDATE thread SET status = ?, updatedAt = ? WHERE id = ?",
                arguments: [threadStatus, now, run.threadId])
            return projection
        }
    }

    /// Inserts parts with no fencing and no terminal transition (only the `double-projection` bug does this).
    public func insertParts(_ parts: [MessagePart]) throws {
        let now = wallClock()
        try pool.write { db in
            for var part in parts {
                part.createdAt = now
                try part.insert(db)
            }
        }
    }

    /// Records that a sandbox was provisioned for a run (what scenarios count).
    public func recordSandbox(threadId: String, runId: Int64, kind: String, pod: String) throws {
        try pool.write { db in
            try db.execute(
                sql: "INSERT INTO sandbox (threadId, runId, kind, pod, provisionedAt) VALUES (?, ?, ?, ?, ?)",
                arguments: [threadId, runId, kind, pod, wallClock()])
        }
    }
}

extension Store {
    /// A cheap read-only check before `claimRun` takes the write lock: is anything claimable?
    public func hasClaimableRun(policy: ClaimPolicy = .init()) throws -> Bool {
        let now = wallClock()
        return try pool.read { db in
            try Bool.fetchOne(
                db,
                sql: """
                    SELECT EXISTS (SELECT 1 FROM run WHERE state = 'running' AND leaseExpiresAt < ?
                      \(policy.reclaimOwnedRuns ? "" : "AND ownerPod IS NULL"))
                    OR EXISTS (SELECT 1 FROM run r WHERE r.state = 'queued' AND NOT EXISTS (
                      SELECT 1 FROM run o WHERE o.threadId = r.threadId AND o.state = 'running'))
                    """,
                arguments: [now]) ?? false
        }
    }

    /// The running run of a thread as its owner sees it, without claiming it (only the
    /// `attach-reexecutes` bug executes a run this way).
    public func runningRun(threadId: String) throws -> ClaimedRun? {
        try pool.read { db in
            guard let run = try Run.filter(Column("threadId") == threadId && Column("state") == RunState.running.rawValue)
                .order(Column("id").desc).fetchOne(db)
            else { return nil }
            let messages = try ChatMessage.filter(Column("threadId") == threadId).order(Column("createdAt")).fetchAll(db)
            return ClaimedRun(run: run, firstSeq: 1, isReclaim: false, messages: messages)
        }
    }
}

extension Store {
    /// Flags a run as cancelled without any cross-pod request (the `cancel-local-only` path).
    public func flagCancel(runId: Int64) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE run SET cancelRequested = 1 WHERE id = ?", arguments: [runId])
        }
    }
}
