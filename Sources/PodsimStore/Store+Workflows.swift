/// The hosted profile's durable queue: DBOS-style workflows, one gate per turn and one child per
/// fence. A workflow is ENQUEUED until a pod dequeues it (PENDING, bound to that pod's executor
/// name) and ends SUCCESS, ERROR or CANCELLED. Recovery never takes a workflow over: the executor
/// that restarts under the same name (or a conductor) puts its PENDING rows back in the queue.
extension Store {
    /// Ids as the real server builds them.
    public enum WorkflowID {
        /// `thread-run:<threadId>:<userMessageId>`: a repeated POST of one message collapses onto it.
        public static func gate(threadId: String, messageId: String) -> String { "thread-run:\(threadId):\(messageId)" }
        /// `decopilot-hosted:<threadId>:<fence>`: starting a turn's child twice starts it once.
        public static func child(threadId: String, fence: String) -> String { "decopilot-hosted:\(threadId):\(fence)" }
    }

    /// Everything an accepted POST writes, in one transaction: the runtime pin, the user message
    /// and its parts (once per message id), the `waiting-runner` frame when no run is in progress,
    /// and the gate.
    public struct HostedTurn: Sendable {
        public var message: ChatMessage
        public var orgId: String
        public var userId: String
        public var userParts: [MessagePart]
        public var branch: String?
        public var priority: Int
        /// Published on the thread's subject unless the thread is `in_progress`.
        public var waitingFrame: String
        public var pod: String
        /// Only under `post-time-fence`: the fence the POST mints and writes on the thread at once
        /// (the old `setRunFence` at POST); the gate's dispatch step then takes it as journaled.
        public var postTimeFence: String?

        public init(
            message: ChatMessage, orgId: String, userId: String, userParts: [MessagePart], branch: String?, priority: Int,
            waitingFrame: String, pod: String, postTimeFence: String? = nil
        ) {
            self.message = message
            self.orgId = orgId
            self.userId = userId
            self.userParts = userParts
            self.branch = branch
            self.priority = priority
            self.waitingFrame = waitingFrame
            self.pod = pod
            self.postTimeFence = postTimeFence
        }
    }

    /// What accepting a turn did.
    public struct AcceptedTurn: Sendable, Equatable {
        public var gateId: String
        /// False when an identical POST had already enqueued the gate.
        public var created: Bool
        /// Whether the `waiting-runner` frame was published.
        public var publishedWaitingFrame: Bool
    }

    public func acceptHostedTurn(_ turn: HostedTurn) async throws -> AcceptedTurn {
        let now = now()
        let threadId = turn.message.threadId
        let gateId = WorkflowID.gate(threadId: threadId, messageId: turn.message.id)
        return try await database.withTransaction { transaction in
            try transaction.execute(
                """
                UPDATE thread SET harnessId = 'decopilot', sandboxProviderKind = 'agent-sandbox', branch = coalesce(?, 'ephemeral'),
                  messageStorageVersion = 2, updatedAt = ? WHERE id = ? AND harnessId IS NULL
                """,
                arguments(turn.branch, now, threadId))
            let persisted = try transaction.execute(
                "INSERT OR IGNORE INTO message (id, threadId, role, text, createdAt) VALUES (?, ?, ?, ?, ?) RETURNING id",
                arguments(turn.message.id, threadId, turn.message.role, turn.message.text, turn.message.createdAt))
            if !persisted.isEmpty { try self.insertKeyedParts(turn.userParts, at: now, in: transaction) }
            let status = try transaction.execute("SELECT status FROM thread WHERE id = ?", arguments(threadId)).first?.string("status")
            let publishWaiting = status != ThreadStatus.inProgress.rawValue
            if publishWaiting {
                try self.insertSubjectMessage(
                    SubjectPublish(body: turn.waitingFrame), threadId: threadId, pod: turn.pod, at: now, in: transaction)
            }
            let inserted = try transaction.execute(
                """
                INSERT INTO workflow (id, kind, threadId, orgId, userId, messageId, status, priority, createdAt, updatedAt)
                VALUES (?, 'gate', ?, ?, ?, ?, 'ENQUEUED', ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING id
                """,
                arguments(gateId, threadId, turn.orgId, turn.userId, turn.message.id, turn.priority, now, now))
            if let fence = turn.postTimeFence, !inserted.isEmpty {
                try transaction.execute(
                    "UPDATE thread SET fence = ?, status = 'in_progress', updatedAt = ? WHERE id = ?", arguments(fence, now, threadId))
                try transaction.execute("UPDATE workflow SET fence = ? WHERE id = ?", arguments(fence, gateId))
            }
            if !inserted.isEmpty {
                try self.journal(
                    [
                        JournalRecord(kind: .runEnqueued, threadId: threadId, messageId: turn.message.id, run: turn.postTimeFence),
                        JournalRecord(
                            kind: .workflowEnqueued, threadId: threadId, messageId: turn.message.id, run: turn.postTimeFence, attempt: 1,
                            state: WorkflowStatus.enqueued.rawValue, workflow: WorkflowKind.gate.rawValue),
                    ],
                    in: transaction)
            }
            return AcceptedTurn(gateId: gateId, created: !inserted.isEmpty, publishedWaitingFrame: publishWaiting)
        }
    }

    /// A cheap read before `dequeue` takes the write lock: is a workflow of this kind dequeueable?
    public func hasDequeueableWorkflow(kind: WorkflowKind) async throws -> Bool {
        try await !database.read(
            "SELECT 1 FROM workflow w WHERE \(Self.dequeueable(kind))  LIMIT 1", arguments()
        ).isEmpty
    }

    /// Dequeues the next workflow of a kind for `executor`: for gates, the head of a thread's
    /// partition while no gate of that thread is PENDING (one turn at a time per thread); for
    /// children, the oldest of the highest priority. The caller enforces its own cap.
    public func dequeue(kind: WorkflowKind, executor: String) async throws -> Workflow? {
        let now = now()
        return try await database.withTransaction { transaction in
            guard let row = try transaction.execute(
                """
                UPDATE workflow SET status = 'PENDING', executor = ?, updatedAt = ? WHERE id = (
                  SELECT w.id FROM workflow w WHERE \(Self.dequeueable(kind)) ORDER BY w.priority, w.createdAt, w.rowid LIMIT 1)
                RETURNING *
                """,
                arguments(executor, now)
            ).first else { return nil }
            let workflow = try Workflow(row: row)
            var records = [JournalRecord.workflow(.workflowStarted, workflow)]
            if kind == .child {
                var claim = JournalRecord.workflow(workflow.recoveries == 0 ? .runClaimed : .runReclaimed, workflow)
                claim.state = nil
                claim.workflow = nil
                records.append(claim)
            }
            try self.journal(records, in: transaction)
            return workflow
        }
    }

    private static func dequeueable(_ kind: WorkflowKind) -> String {
        switch kind {
        case .gate:
            """
            w.kind = 'gate' AND w.status = 'ENQUEUED' AND NOT EXISTS (
              SELECT 1 FROM workflow o WHERE o.threadId = w.threadId AND o.kind = 'gate' AND (o.status = 'PENDING'
                OR (o.status = 'ENQUEUED' AND (o.priority, o.createdAt, o.rowid) < (w.priority, w.createdAt, w.rowid))))
            """
        case .child:
            "w.kind = 'child' AND w.status = 'ENQUEUED'"
        }
    }

    public func workflow(id: String) async throws -> Workflow? {
        try await database.read("SELECT * FROM workflow WHERE id = ?", arguments(id)).first.map(Workflow.init(row:))
    }

    /// The gates waiting in a thread's partition, in the order they will run (`GET /queue`).
    public func queuedGates(threadId: String) async throws -> [Workflow] {
        try await database.read(
            "SELECT * FROM workflow WHERE threadId = ? AND kind = 'gate' AND status = 'ENQUEUED' ORDER BY priority, createdAt, rowid",
            arguments(threadId)
        ).map(Workflow.init(row:))
    }

    /// Cancels one waiting gate of a thread and deletes its user message's parts, as cancelling a
    /// queued turn does; false when the thread has no such gate waiting.
    public func cancelQueuedGate(threadId: String, id: String) async throws -> Bool {
        let now = now()
        return try await database.withTransaction { transaction in
            guard let row = try transaction.execute(
                """
                UPDATE workflow SET status = 'CANCELLED', updatedAt = ? WHERE id = ? AND threadId = ? AND kind = 'gate' AND status = 'ENQUEUED'
                RETURNING *
                """,
                arguments(now, id, threadId)
            ).first else { return false }
            let gate = try Workflow(row: row)
            try transaction.execute("DELETE FROM part WHERE threadId = ? AND messageId = ?", arguments(threadId, gate.messageId))
            try self.journal(Self.cancelledRecords(gate), in: transaction)
            return true
        }
    }

    /// The thread's user messages up to and including `messageId`, oldest first (the child's conversation).
    public func turnMessages(threadId: String, upTo messageId: String) async throws -> [ChatMessage] {
        try await database.read(
            """
            SELECT m.* FROM message m WHERE m.threadId = ? AND m.createdAt <=
              (SELECT createdAt FROM message WHERE threadId = ? AND id = ?)
            ORDER BY m.createdAt, m.rowid
            """,
            arguments(threadId, threadId, messageId)
        ).map(ChatMessage.init(row:))
    }

    /// The outcome of the gate's dispatch step.
    public struct Dispatch: Sendable, Equatable {
        public var fence: String
        /// True when the step had already run (a recovered gate): nothing was published or written.
        public var replayed: Bool
    }

    /// The gate's journaled dispatch step: publish `starting-run`, set the thread's fence and
    /// status `in_progress` (`setRunFence`), and journal the fence on the gate, once. A replay
    /// returns the journaled fence. Nil when the gate is no longer PENDING on this executor.
    public func dispatchTurn(gateId: String, executor: String, fence: String, startingFrame: String) async throws -> Dispatch? {
        let now = now()
        return try await database.withTransaction { transaction in
            guard let row = try transaction.execute(
                "SELECT * FROM workflow WHERE id = ? AND status = 'PENDING' AND executor = ?", arguments(gateId, executor)
            ).first else { return nil }
            let gate = try Workflow(row: row)
            if let journaled = gate.fence { return Dispatch(fence: journaled, replayed: true) }
            try self.insertSubjectMessage(
                SubjectPublish(body: startingFrame), threadId: gate.threadId, pod: executor, at: now, in: transaction)
            try transaction.execute(
                "UPDATE thread SET fence = ?, status = 'in_progress', updatedAt = ? WHERE id = ?", arguments(fence, now, gate.threadId))
            try transaction.execute("UPDATE workflow SET fence = ?, updatedAt = ? WHERE id = ?", arguments(fence, now, gateId))
            return Dispatch(fence: fence, replayed: false)
        }
    }

    /// Starts the turn's child workflow (idempotent: the id carries the fence). Returns its id.
    @discardableResult
    public func startChild(of gate: Workflow, fence: String) async throws -> String {
        let id = WorkflowID.child(threadId: gate.threadId, fence: fence)
        let now = now()
        try await database.withTransaction { transaction in
            guard let row = try transaction.execute(
                """
                INSERT INTO workflow (id, kind, threadId, orgId, userId, messageId, status, priority, fence, createdAt, updatedAt)
                VALUES (?, 'child', ?, ?, ?, ?, 'ENQUEUED', ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING *
                """,
                arguments(id, gate.threadId, gate.orgId, gate.userId, gate.messageId, gate.priority, fence, now, now)
            ).first else { return }
            try self.journal(.workflow(.workflowEnqueued, try Workflow(row: row)), in: transaction)
        }
        return id
    }

    /// Ends a workflow this executor runs; false when it is no longer PENDING here (cancelled,
    /// or handed back to the queue).
    @discardableResult
    public func finishWorkflow(id: String, executor: String, status: WorkflowStatus, error: String? = nil) async throws -> Bool {
        let now = now()
        return try await database.withTransaction { transaction in
            guard let row = try transaction.execute(
                """
                UPDATE workflow SET status = ?, error = ?, updatedAt = ? WHERE id = ? AND status = 'PENDING' AND executor = ? RETURNING *
                """,
                arguments(status.rawValue, error, now, id, executor)
            ).first else { return false }
            var finished = JournalRecord.workflow(.workflowFinished, try Workflow(row: row))
            finished.detail = error
            try self.journal(finished, in: transaction)
            return true
        }
    }

    /// Puts an executor's PENDING workflows (of `kinds`) back in the queue, keeping their
    /// priority and age: recovery at the executor's boot, the SIGTERM hand-off of gates, and
    /// the conductor.
    @discardableResult
    public func requeueWorkflows(executor: String, kinds: Set<WorkflowKind> = [.gate, .child]) async throws -> [Workflow] {
        let kindList = kinds.map { "'\($0.rawValue)'" }.sorted().joined(separator: ", ")
        let now = now()
        return try await database.withTransaction { transaction in
            let requeued = try transaction.execute(
                """
                UPDATE workflow SET status = 'ENQUEUED', executor = NULL, recoveries = recoveries + 1, updatedAt = ?
                WHERE status = 'PENDING' AND executor = ? AND kind IN (\(kindList)) RETURNING *
                """,
                arguments(now, executor)
            ).map(Workflow.init(row:))
            try self.journal(requeued.map { JournalRecord.workflow(.workflowEnqueued, $0) }, in: transaction)
            // Handing back gates alone is the SIGTERM hand-off: their turns are released, not lost.
            for gate in requeued where kinds == [.gate] {
                try self.journalTurn(.runReleased, threadId: gate.threadId, fence: gate.fence, in: transaction)
            }
            return requeued
        }
    }

    /// Executors that hold PENDING workflows (what a conductor watches).
    public func executorsWithPendingWorkflows() async throws -> Set<String> {
        Set(try await database.read("SELECT DISTINCT executor FROM workflow WHERE status = 'PENDING' AND executor IS NOT NULL")
            .map { try $0.string("executor") })
    }

    /// Cancels the head gate of a thread's partition and the child of `fence`, so neither is run
    /// or recovered again (`cancelThreadGateHead`, `cancelHostedHarness`).
    public func cancelWorkflows(threadId: String, fence: String?) async throws {
        let now = now()
        try await database.withTransaction { transaction in
            var cancelled = try transaction.execute(
                """
                UPDATE workflow SET status = 'CANCELLED', updatedAt = ? WHERE id = (
                  SELECT id FROM workflow WHERE threadId = ? AND kind = 'gate' AND status IN ('PENDING', 'ENQUEUED')
                  ORDER BY status = 'PENDING' DESC, priority, createdAt, rowid LIMIT 1)
                RETURNING *
                """,
                arguments(now, threadId))
            if let fence {
                cancelled += try transaction.execute(
                    "UPDATE workflow SET status = 'CANCELLED', updatedAt = ? WHERE id = ? AND status IN ('PENDING', 'ENQUEUED') RETURNING *",
                    arguments(now, WorkflowID.child(threadId: threadId, fence: fence)))
            }
            try self.journal(try cancelled.map(Workflow.init(row:)).flatMap(Self.cancelledRecords), in: transaction)
        }
    }

    /// A cancelled workflow's journal rows: its end and, for a gate that never dispatched (no
    /// fence: its turn never ran), the end of the turn the POST enqueued.
    private static func cancelledRecords(_ workflow: Workflow) -> [JournalRecord] {
        var records = [JournalRecord.workflow(.workflowFinished, workflow)]
        if workflow.kind == .gate && workflow.fence == nil {
            records.append(JournalRecord(
                kind: .runFinished, threadId: workflow.threadId, messageId: workflow.messageId, state: "cancelled"))
        }
        return records
    }
}

extension JournalRecord {
    /// A workflow event: its kind, the turn's fence and the attempt (1 + recoveries) and status.
    static func workflow(_ kind: JournalKind, _ workflow: Workflow) -> JournalRecord {
        JournalRecord(
            kind: kind, threadId: workflow.threadId, messageId: workflow.messageId, run: workflow.fence, attempt: 1 + workflow.recoveries,
            state: workflow.status.rawValue, workflow: workflow.kind.rawValue)
    }
}
