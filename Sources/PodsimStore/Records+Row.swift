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
            createdAt: try row.int64("createdAt"), updatedAt: try row.int64("updatedAt"))
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
            type: try row.string("type"), body: try row.string("body"), pod: try row.optionalString("pod"), createdAt: try row.int64("createdAt"))
    }
}
