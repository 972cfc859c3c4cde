import GRDB

/// The store's versioned migrations. The coordinator applies them once, before any pod starts.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "org") { t in
                t.primaryKey("id", .text)
                t.column("slug", .text).notNull().unique()
                t.column("name", .text).notNull()
                t.column("createdAt", .integer).notNull()
            }
            try db.create(table: "user") { t in
                t.primaryKey("id", .text)
                t.column("orgId", .text).notNull().references("org")
                t.column("email", .text).notNull()
            }
            try db.create(table: "apiKey") { t in
                t.primaryKey("key", .text)
                t.column("userId", .text).notNull().references("user")
                t.column("orgId", .text).notNull().references("org")
            }
            try db.create(table: "session") { t in
                t.primaryKey("token", .text)
                t.column("userId", .text).notNull().references("user")
                t.column("orgId", .text).notNull().references("org")
                t.column("createdAt", .integer).notNull()
            }
            try db.create(table: "agent") { t in
                t.primaryKey("id", .text)
                t.column("orgId", .text).notNull().references("org")
                t.column("title", .text).notNull()
            }
            try db.create(table: "thread") { t in
                t.primaryKey("id", .text)
                t.column("orgId", .text).notNull().references("org")
                t.column("agentId", .text).notNull().references("agent")
                t.column("status", .text).notNull().defaults(to: "completed")
                t.column("runOwnerPod", .text)
                t.column("sandboxProviderKind", .text)
                t.column("createdAt", .integer).notNull()
                t.column("updatedAt", .integer).notNull()
            }
            try db.create(table: "message") { t in
                t.column("id", .text).notNull()
                t.column("threadId", .text).notNull().references("thread")
                t.column("role", .text).notNull()
                t.column("text", .text).notNull()
                t.column("createdAt", .integer).notNull()
                t.primaryKey(["threadId", "id"])
            }
            try db.create(table: "run") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("threadId", .text).notNull().references("thread")
                t.column("orgId", .text).notNull()
                t.column("userId", .text).notNull()
                t.column("messageId", .text).notNull()
                t.column("providerKind", .text).notNull()
                t.column("state", .text).notNull()
                t.column("attempt", .integer).notNull().defaults(to: 0)
                t.column("ownerPod", .text)
                t.column("leaseExpiresAt", .integer)
                t.column("cancelRequested", .boolean).notNull().defaults(to: false)
                t.column("error", .text)
                t.column("createdAt", .integer).notNull()
                t.column("finishedAt", .integer)
                t.uniqueKey(["threadId", "messageId"])
            }
            try db.create(index: "run_state", on: "run", columns: ["state", "id"])
            try db.create(table: "chunk") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("threadId", .text).notNull()
                t.column("runId", .integer).notNull()
                t.column("attempt", .integer).notNull()
                t.column("seq", .integer).notNull()
                t.column("pod", .text).notNull()
                t.column("body", .text).notNull()
                t.column("createdAt", .integer).notNull()
            }
            try db.create(index: "chunk_thread", on: "chunk", columns: ["threadId", "id"])
            try db.create(index: "chunk_run", on: "chunk", columns: ["runId", "attempt", "seq"])
            try db.create(table: "part") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("threadId", .text).notNull().indexed()
                t.column("runId", .integer)
                t.column("role", .text).notNull()
                t.column("type", .text).notNull()
                t.column("body", .text).notNull()
                t.column("pod", .text)
                t.column("createdAt", .integer).notNull()
            }
            try db.create(table: "link") { t in
                t.primaryKey("id", .text)
                t.column("userId", .text).notNull().indexed()
                t.column("orgId", .text).notNull()
                t.column("url", .text).notNull()
                t.column("capabilities", .text).notNull()
                t.column("ttlMs", .integer).notNull()
                t.column("heartbeatAt", .integer).notNull()
            }
            try db.create(table: "podEndpoint") { t in
                t.primaryKey("name", .text)
                t.column("signalPort", .integer).notNull()
                t.column("pid", .integer).notNull()
                t.column("startedAt", .integer).notNull()
            }
            try db.create(table: "sandbox") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("threadId", .text).notNull().indexed()
                t.column("runId", .integer).notNull()
                t.column("kind", .text).notNull()
                t.column("pod", .text).notNull()
                t.column("provisionedAt", .integer).notNull()
            }
        }
        migrator.registerMigration("v2: org-scoped thread ids, unique chunk sequence numbers") { db in
            try db.alter(table: "thread") { t in t.add(column: "publicId", .text) }
            try db.execute(sql: "UPDATE thread SET publicId = id")
            try db.create(index: "thread_public_id", on: "thread", columns: ["orgId", "publicId"], unique: true)
            try db.drop(index: "chunk_run")
            try db.create(index: "chunk_run", on: "chunk", columns: ["runId", "attempt", "seq"], unique: true)
        }
        return migrator
    }
}
