/// The store's versioned migrations and the minimal migrator that applies them. The coordinator
/// applies them once, before any pod starts; pods only check that the schema is theirs.
enum Schema {
    /// One migration: an id recorded in the `migration` table once applied, and its statements.
    struct Migration: Sendable {
        let id: String
        let statements: [String]
    }

    /// Every migration, in the order they apply. Append; never edit one that has shipped.
    static let migrations: [Migration] = [
        Migration(id: "v1", statements: [
            #"CREATE TABLE "org" ("id" TEXT PRIMARY KEY NOT NULL, "slug" TEXT NOT NULL UNIQUE, "name" TEXT NOT NULL, "createdAt" INTEGER NOT NULL)"#,
            #"CREATE TABLE "user" ("id" TEXT PRIMARY KEY NOT NULL, "orgId" TEXT NOT NULL REFERENCES "org"("id"), "email" TEXT NOT NULL)"#,
            #"CREATE TABLE "apiKey" ("key" TEXT PRIMARY KEY NOT NULL, "userId" TEXT NOT NULL REFERENCES "user"("id"), "orgId" TEXT NOT NULL REFERENCES "org"("id"))"#,
            #"CREATE TABLE "session" ("token" TEXT PRIMARY KEY NOT NULL, "userId" TEXT NOT NULL REFERENCES "user"("id"), "orgId" TEXT NOT NULL REFERENCES "org"("id"), "createdAt" INTEGER NOT NULL)"#,
            #"CREATE TABLE "agent" ("id" TEXT PRIMARY KEY NOT NULL, "orgId" TEXT NOT NULL REFERENCES "org"("id"), "title" TEXT NOT NULL)"#,
            #"CREATE TABLE "thread" ("id" TEXT PRIMARY KEY NOT NULL, "orgId" TEXT NOT NULL REFERENCES "org"("id"), "agentId" TEXT NOT NULL REFERENCES "agent"("id"), "status" TEXT NOT NULL DEFAULT 'completed', "runOwnerPod" TEXT, "sandboxProviderKind" TEXT, "createdAt" INTEGER NOT NULL, "updatedAt" INTEGER NOT NULL)"#,
            #"CREATE TABLE "message" ("id" TEXT NOT NULL, "threadId" TEXT NOT NULL REFERENCES "thread"("id"), "role" TEXT NOT NULL, "text" TEXT NOT NULL, "createdAt" INTEGER NOT NULL, PRIMARY KEY ("threadId", "id"))"#,
            #"CREATE TABLE "run" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "threadId" TEXT NOT NULL REFERENCES "thread"("id"), "orgId" TEXT NOT NULL, "userId" TEXT NOT NULL, "messageId" TEXT NOT NULL, "providerKind" TEXT NOT NULL, "state" TEXT NOT NULL, "attempt" INTEGER NOT NULL DEFAULT 0, "ownerPod" TEXT, "leaseExpiresAt" INTEGER, "cancelRequested" BOOLEAN NOT NULL DEFAULT 0, "error" TEXT, "createdAt" INTEGER NOT NULL, "finishedAt" INTEGER, UNIQUE ("threadId", "messageId"))"#,
            #"CREATE INDEX "run_state" ON "run"("state", "id")"#,
            #"CREATE TABLE "chunk" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "threadId" TEXT NOT NULL, "runId" INTEGER NOT NULL, "attempt" INTEGER NOT NULL, "seq" INTEGER NOT NULL, "pod" TEXT NOT NULL, "body" TEXT NOT NULL, "createdAt" INTEGER NOT NULL)"#,
            #"CREATE INDEX "chunk_thread" ON "chunk"("threadId", "id")"#,
            #"CREATE INDEX "chunk_run" ON "chunk"("runId", "attempt", "seq")"#,
            #"CREATE TABLE "part" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "threadId" TEXT NOT NULL, "runId" INTEGER, "role" TEXT NOT NULL, "type" TEXT NOT NULL, "body" TEXT NOT NULL, "pod" TEXT, "createdAt" INTEGER NOT NULL)"#,
            #"CREATE INDEX "part_on_threadId" ON "part"("threadId")"#,
            #"CREATE TABLE "link" ("id" TEXT PRIMARY KEY NOT NULL, "userId" TEXT NOT NULL, "orgId" TEXT NOT NULL, "url" TEXT NOT NULL, "capabilities" TEXT NOT NULL, "ttlMs" INTEGER NOT NULL, "heartbeatAt" INTEGER NOT NULL)"#,
            #"CREATE INDEX "link_on_userId" ON "link"("userId")"#,
            #"CREATE TABLE "podEndpoint" ("name" TEXT PRIMARY KEY NOT NULL, "signalPort" INTEGER NOT NULL, "pid" INTEGER NOT NULL, "startedAt" INTEGER NOT NULL)"#,
            #"CREATE TABLE "sandbox" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "threadId" TEXT NOT NULL, "runId" INTEGER NOT NULL, "kind" TEXT NOT NULL, "pod" TEXT NOT NULL, "provisionedAt" INTEGER NOT NULL)"#,
            #"CREATE INDEX "sandbox_on_threadId" ON "sandbox"("threadId")"#,
        ]),
        Migration(id: "v2: org-scoped thread ids, unique chunk sequence numbers", statements: [
            #"ALTER TABLE "thread" ADD COLUMN "publicId" TEXT"#,
            #"UPDATE "thread" SET "publicId" = "id""#,
            #"CREATE UNIQUE INDEX "thread_public_id" ON "thread"("orgId", "publicId")"#,
            #"DROP INDEX "chunk_run""#,
            #"CREATE UNIQUE INDEX "chunk_run" ON "chunk"("runId", "attempt", "seq")"#,
        ]),
        Migration(id: "v3: the hosted profile's workflows, per-thread subjects, duplicate window and keyed parts", statements: [
            #"ALTER TABLE "thread" ADD COLUMN "createdBy" TEXT"#,
            #"ALTER TABLE "thread" ADD COLUMN "fence" TEXT"#,
            #"ALTER TABLE "thread" ADD COLUMN "failureKind" TEXT"#,
            #"ALTER TABLE "thread" ADD COLUMN "failureReason" TEXT"#,
            #"ALTER TABLE "thread" ADD COLUMN "cancelRequestedAt" INTEGER"#,
            #"ALTER TABLE "thread" ADD COLUMN "harnessId" TEXT"#,
            #"ALTER TABLE "thread" ADD COLUMN "branch" TEXT"#,
            #"ALTER TABLE "thread" ADD COLUMN "messageStorageVersion" INTEGER"#,
            #"ALTER TABLE "thread" ADD COLUMN "runStartedAt" INTEGER"#,
            #"ALTER TABLE "thread" ADD COLUMN "lastProgressAt" INTEGER"#,
            #"CREATE TABLE "workflow" ("id" TEXT PRIMARY KEY NOT NULL, "kind" TEXT NOT NULL, "threadId" TEXT NOT NULL REFERENCES "thread"("id"), "orgId" TEXT NOT NULL, "userId" TEXT NOT NULL, "messageId" TEXT NOT NULL, "status" TEXT NOT NULL, "executor" TEXT, "priority" INTEGER NOT NULL, "fence" TEXT, "recoveries" INTEGER NOT NULL DEFAULT 0, "error" TEXT, "createdAt" INTEGER NOT NULL, "updatedAt" INTEGER NOT NULL)"#,
            #"CREATE INDEX "workflow_queue" ON "workflow"("kind", "status", "priority", "createdAt")"#,
            #"CREATE INDEX "workflow_thread" ON "workflow"("threadId", "kind", "status")"#,
            #"CREATE TABLE "subject" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "threadId" TEXT NOT NULL, "msgId" TEXT, "fence" TEXT, "seq" INTEGER, "pod" TEXT NOT NULL, "body" TEXT NOT NULL, "createdAt" INTEGER NOT NULL)"#,
            #"CREATE INDEX "subject_thread" ON "subject"("threadId", "id")"#,
            #"CREATE TABLE "dedup" ("msgId" TEXT PRIMARY KEY NOT NULL, "storedAt" INTEGER NOT NULL)"#,
            #"CREATE TABLE "subjectPurge" ("threadId" TEXT PRIMARY KEY NOT NULL, "throughID" INTEGER NOT NULL)"#,
            #"ALTER TABLE "part" ADD COLUMN "key" TEXT"#,
            #"ALTER TABLE "part" ADD COLUMN "messageId" TEXT"#,
            #"CREATE UNIQUE INDEX "part_key" ON "part"("key")"#,
        ]),
        Migration(id: "v4: bus faults", statements: [
            #"CREATE TABLE "busFault" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "kind" TEXT NOT NULL, "pod" TEXT, "remaining" INTEGER, "until" INTEGER, "createdAt" INTEGER NOT NULL)"#,
        ]),
        Migration(id: "v5: the history journal", statements: [
            #"CREATE TABLE "journal" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "at" INTEGER NOT NULL, "kind" TEXT NOT NULL, "pod" TEXT, "threadId" TEXT, "messageId" TEXT, "run" TEXT, "attempt" INTEGER, "seq" INTEGER, "chunkId" TEXT, "chunkType" TEXT, "delta" TEXT, "body" TEXT, "state" TEXT, "workflow" TEXT, "count" INTEGER, "detail" TEXT)"#,
        ]),
        Migration(id: "v6: which pods watch which threads", statements: [
            #"CREATE TABLE "watch" ("threadId" TEXT NOT NULL, "pod" TEXT NOT NULL, "token" TEXT NOT NULL, PRIMARY KEY ("threadId", "pod")) WITHOUT ROWID"#,
            #"CREATE INDEX "watch_pod" ON "watch"("pod")"#,
        ]),
    ]

    private static let createBookkeeping =
        #"CREATE TABLE IF NOT EXISTS "migration" ("id" TEXT PRIMARY KEY NOT NULL, "appliedAt" INTEGER NOT NULL)"#

    /// Applies every migration the database lacks, each in one IMMEDIATE transaction together
    /// with its bookkeeping row, so concurrent migrators apply each migration exactly once.
    static func migrate(_ database: Database, now: @escaping Store.Clock) async throws {
        _ = try await database.write(createBookkeeping)
        try await checkKnown(database)
        for migration in migrations {
            try await database.withTransaction { transaction in
                let applied = try transaction.execute(#"SELECT 1 FROM "migration" WHERE "id" = ?"#, arguments(migration.id))
                guard applied.isEmpty else { return }
                for statement in migration.statements { try transaction.execute(statement) }
                try transaction.execute(
                    #"INSERT INTO "migration" ("id", "appliedAt") VALUES (?, ?)"#, arguments(migration.id, now()))
            }
        }
    }

    /// Whether the file was created by a podsim whose store ran on GRDB (its own migrations table).
    static func hasOlderLayout(_ database: Database) async throws -> Bool {
        try await !database.read(#"SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'grdb_migrations'"#).isEmpty
    }

    /// Whether every migration this binary knows has been applied; throws when the database lists
    /// one this binary does not know (a newer podsim created it).
    static func isMigrated(_ database: Database) async throws -> Bool {
        guard try await !database.read(#"SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migration'"#).isEmpty else {
            return false
        }
        let applied = try await checkKnown(database)
        return applied.count == migrations.count
    }

    @discardableResult
    private static func checkKnown(_ database: Database) async throws -> Set<String> {
        let applied = Set(try await database.read(#"SELECT "id" FROM "migration""#).map { try $0.string("id") })
        let unknown = applied.subtracting(migrations.map(\.id))
        if !unknown.isEmpty { throw StoreError.unknownMigrations(unknown.sorted()) }
        return applied
    }
}
