/// How each record is read from a result row (`SELECT *` of its table, or prefixed columns).
extension Org {
    init(row: Row) throws {
        self.init(id: try row.string("id"), slug: try row.string("slug"), name: try row.string("name"), createdAt: try row.int64("createdAt"))
    }
}

extension APIKey {
    init(row: Row) throws {
        self.init(key: try row.string("key"), userId: try row.string("userId"), orgId: try row.string("orgId"))
    }
}

extension Session {
    init(row: Row) throws {
        self.init(token: try row.string("token"), userId: try row.string("userId"), orgId: try row.string("orgId"), createdAt: try row.int64("createdAt"))
    }
}

extension Agent {
    init(row: Row) throws {
        self.init(id: try row.string("id"), orgId: try row.string("orgId"), title: try row.string("title"))
    }
}

extension ChatThread {
    init(row: Row) throws {
        guard let status = ThreadStatus(rawValue: try row.string("status")) else { throw StoreError.decoding(column: "status") }
        self.init(
            id: try row.string("id"), publicId: try row.string("publicId"), orgId: try row.string("orgId"), agentId: try row.string("agentId"),
            status: status, runOwnerPod: try row.optionalString("runOwnerPod"), sandboxProviderKind: try row.optionalString("sandboxProviderKind"),
            createdAt: try row.int64("createdAt"), updatedAt: try row.int64("updatedAt"),
            hosted: HostedThreadState(
                createdBy: try row.optionalString("createdBy"), fence: try row.optionalString("fence"),
                failureKind: try row.optionalString("failureKind"), failureReason: try row.optionalString("failureReason"),
                cancelRequestedAt: try row.optionalInt64("cancelRequestedAt"), harnessId: try row.optionalString("harnessId"),
                branch: try row.optionalString("branch"), messageStorageVersion: try row.optionalInt64("messageStorageVersion").map { Int($0) },
                runStartedAt: try row.optionalInt64("runStartedAt"), lastProgressAt: try row.optionalInt64("lastProgressAt")))
    }
}

extension ChatMessage {
    init(row: Row) throws {
        self.init(
            id: try row.string("id"), threadId: try row.string("threadId"), role: try row.string("role"), text: try row.string("text"),
            createdAt: try row.int64("createdAt"))
    }
}

extension Run {
    /// Every column of `run`, for queries that read a run beside other columns (`prefix` each).
    static func columns(prefixedWith prefix: String, from table: String) -> String {
        ["id", "threadId", "orgId", "userId", "messageId", "providerKind", "state", "attempt", "ownerPod", "leaseExpiresAt",
         "cancelRequested", "error", "createdAt", "finishedAt"]
            .map { "\(table).\($0) AS \(prefix)\($0)" }.joined(separator: ", ")
    }

    init(row: Row, prefix: String = "") throws {
        guard let state = RunState(rawValue: try row.string(prefix + "state")) else { throw StoreError.decoding(column: "state") }
        self.init(
            id: try row.int64(prefix + "id"), threadId: try row.string(prefix + "threadId"), orgId: try row.string(prefix + "orgId"),
            userId: try row.string(prefix + "userId"), messageId: try row.string(prefix + "messageId"),
            providerKind: try row.string(prefix + "providerKind"), state: state, attempt: try row.int(prefix + "attempt"),
            ownerPod: try row.optionalString(prefix + "ownerPod"), leaseExpiresAt: try row.optionalInt64(prefix + "leaseExpiresAt"),
            cancelRequested: try row.bool(prefix + "cancelRequested"), error: try row.optionalString(prefix + "error"),
            createdAt: try row.int64(prefix + "createdAt"), finishedAt: try row.optionalInt64(prefix + "finishedAt"))
    }
}

extension StoredChunk {
    init(row: Row) throws {
        self.init(
            id: try row.int64("id"), threadId: try row.string("threadId"), runId: try row.int64("runId"), attempt: try row.int("attempt"),
            seq: try row.int("seq"), pod: try row.string("pod"), body: try row.string("body"), createdAt: try row.int64("createdAt"))
    }
}

extension Link {
    init(row: Row) throws {
        self.init(
            id: try row.string("id"), userId: try row.string("userId"), orgId: try row.string("orgId"), url: try row.string("url"),
            capabilities: try row.string("capabilities"), ttlMs: try row.int64("ttlMs"), heartbeatAt: try row.int64("heartbeatAt"))
    }
}

extension PodEndpoint {
    init(row: Row) throws {
        self.init(name: try row.string("name"), signalPort: try row.int("signalPort"), pid: Int32(try row.int("pid")), startedAt: try row.int64("startedAt"))
    }
}

extension MessagePart {
    init(row: Row) throws {
        self.init(
            id: try row.int64("id"), threadId: try row.string("threadId"), runId: try row.optionalInt64("runId"), role: try row.string("role"),
            type: try row.string("type"), body: try row.string("body"), pod: try row.optionalString("pod"), createdAt: try row.int64("createdAt"),
            key: try row.optionalString("key"), messageId: try row.optionalString("messageId"))
    }
}

extension Workflow {
    init(row: Row) throws {
        guard let kind = WorkflowKind(rawValue: try row.string("kind")) else { throw StoreError.decoding(column: "kind") }
        guard let status = WorkflowStatus(rawValue: try row.string("status")) else { throw StoreError.decoding(column: "status") }
        self.init(
            id: try row.string("id"), kind: kind, threadId: try row.string("threadId"), orgId: try row.string("orgId"),
            userId: try row.string("userId"), messageId: try row.string("messageId"), status: status,
            executor: try row.optionalString("executor"), priority: try row.int("priority"), fence: try row.optionalString("fence"),
            recoveries: try row.int("recoveries"), error: try row.optionalString("error"), createdAt: try row.int64("createdAt"),
            updatedAt: try row.int64("updatedAt"))
    }
}

extension SubjectMessage {
    init(row: Row) throws {
        self.init(
            id: try row.int64("id"), threadId: try row.string("threadId"), msgId: try row.optionalString("msgId"),
            fence: try row.optionalString("fence"), seq: try row.optionalInt64("seq").map { Int($0) }, pod: try row.string("pod"),
            body: try row.string("body"), createdAt: try row.int64("createdAt"))
    }
}
