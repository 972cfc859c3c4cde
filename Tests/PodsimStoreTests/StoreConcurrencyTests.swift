import Foundation
import PodsimModel
import PodsimStore
import Testing

@Suite struct StoreConcurrencyTests {
    /// Four stores stand in for four pod processes: each has its own connections, so they contend
    /// for SQLite's file lock exactly as processes do. Within each store, eight tasks share the
    /// writer connection. No write may surface SQLITE_BUSY or interleave with another's transaction.
    @Test func manyConnectionsWritingAtOnceNeverSurfaceBusy() async throws {
        let fixture = try await StoreFixture()
        var stores: [Store] = []
        for _ in 0..<4 { stores.append(try await Store.open(at: fixture.path, clock: wallClockMillis)) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, store) in stores.enumerated() {
                for task in 0..<8 {
                    group.addTask {
                        for message in 0..<25 {
                            _ = try await store.enqueueRun(
                                threadId: fixture.threadId, orgId: fixture.org.org.id, userId: fixture.org.user.id,
                                message: ChatMessage(
                                    id: "\(index)-\(task)-\(message)", threadId: fixture.threadId, role: "user", text: "x", createdAt: 0),
                                providerKind: "docker")
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let summary = try #require(try await fixture.store.threadSummary(id: fixture.threadId))
        #expect(summary.runCount == 800)
        #expect(summary.partCount == 800, "each enqueue writes its run and its part in one transaction")
    }

    /// Pods racing to claim, append and finish: every run is claimed by exactly one store, and
    /// every attempt's chunks land whole.
    @Test func concurrentClaimsTakeEachRunOnce() async throws {
        let fixture = try await StoreFixture()
        var threads: [String] = []
        let agent = try await fixture.store.createAgent(orgId: fixture.org.org.id, title: "racer")
        for _ in 0..<40 {
            guard case .created(let thread) = try await fixture.store.createThread(id: nil, orgId: fixture.org.org.id, agentId: agent.id) else {
                throw StoreFixture.FixtureError.threadNotCreated
            }
            try await fixture.enqueue(thread: thread.id)
            threads.append(thread.id)
        }
        var stores: [Store] = []
        for _ in 0..<4 { stores.append(try await Store.open(at: fixture.path, clock: wallClockMillis)) }
        let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for (index, store) in stores.enumerated() {
                for worker in 0..<3 {
                    group.addTask {
                        var mine: [Int64] = []
                        let pod = "pod-\(index)-\(worker)"
                        while let claim = try await store.claimRun(pod: pod, leaseMillis: 60_000) {
                            try await store.appendChunks(
                                (1...5).map { .init(seq: $0, body: "{}") }, threadId: claim.run.threadId, runId: claim.runId,
                                attempt: claim.attempt, pod: pod)
                            try await store.finishRun(runId: claim.runId, attempt: claim.attempt, pod: pod) { chunks in
                                .init(state: chunks.count == 5 ? .completed : .failed, error: nil, parts: [])
                            }
                            mine.append(claim.runId)
                        }
                        return mine
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(claimed.count == 40)
        #expect(Set(claimed).count == 40, "no run was claimed twice")
        let completed = try await fixture.store.query("SELECT count(*) AS n FROM run WHERE state = 'completed' AND attempt = 1")
        #expect(completed.first?["n"] == "40")
    }

    /// Writes queued together commit as one group, each in its own savepoint: a write that fails
    /// (here: appends fenced off because the pod does not own the attempt) leaves nothing, and the
    /// writes beside it in the same group land whole.
    @Test func aFailingWriteInACommitGroupUndoesOnlyItself() async throws {
        let fixture = try await StoreFixture()
        let agent = try await fixture.store.createAgent(orgId: fixture.org.org.id, title: "group")
        var claims: [Store.ClaimedRun] = []
        for _ in 0..<20 {
            guard case .created(let thread) = try await fixture.store.createThread(id: nil, orgId: fixture.org.org.id, agentId: agent.id) else {
                throw StoreFixture.FixtureError.threadNotCreated
            }
            try await fixture.enqueue(thread: thread.id)
        }
        claims = try await fixture.store.claimRuns(pod: "pod-1", leaseMillis: 60_000, limit: 20)
        #expect(claims.count == 20)
        let outcomes = try await withThrowingTaskGroup(of: (Int64, Bool).self) { group in
            for (index, claim) in claims.enumerated() {
                group.addTask {
                    let pod = index.isMultiple(of: 2) ? "pod-1" : "pod-2"
                    do {
                        try await fixture.store.appendChunks(
                            (1...3).map { .init(seq: $0, body: "{}") }, threadId: claim.run.threadId, runId: claim.runId,
                            attempt: claim.attempt, pod: pod)
                        return (claim.runId, true)
                    } catch StoreError.fenced {
                        return (claim.runId, false)
                    }
                }
            }
            return try await group.reduce(into: [Int64: Bool]()) { $0[$1.0] = $1.1 }
        }
        #expect(outcomes.values.filter { $0 }.count == 10)
        for (runId, landed) in outcomes {
            let chunks = try await fixture.store.chunks(runId: runId)
            #expect(chunks.map(\.seq) == (landed ? [1, 2, 3] : []), "run \(runId)")
        }
    }

    /// One claim may take several runs: the oldest claimable first, never two of one thread.
    @Test func aBatchClaimTakesRunsInQueueOrderAndOnePerThread() async throws {
        let fixture = try await StoreFixture()
        let agent = try await fixture.store.createAgent(orgId: fixture.org.org.id, title: "batch")
        var queued: [Int64] = []
        for _ in 0..<3 {
            guard case .created(let thread) = try await fixture.store.createThread(id: nil, orgId: fixture.org.org.id, agentId: agent.id) else {
                throw StoreFixture.FixtureError.threadNotCreated
            }
            queued.append(try #require(try await fixture.enqueue(thread: thread.id).run.id))
        }
        let second = try #require(try await fixture.enqueue(messageId: "later", thread: nil).run.id)
        _ = try await fixture.enqueue(messageId: "after-that", thread: nil)
        let claims = try await fixture.store.claimRuns(pod: "pod-1", leaseMillis: 60_000, limit: 8)
        #expect(claims.map(\.runId) == queued + [second], "one run of each thread, oldest first")
        #expect(try await fixture.store.claimRuns(pod: "pod-2", leaseMillis: 60_000, limit: 8).isEmpty)
    }

    /// An append names the pods watching its thread; a late removal of an earlier watch never
    /// removes the watch that replaced it, and a pod registering afresh forgets its old ones.
    @Test func appendsNameThePodsWatchingTheirThread() async throws {
        let fixture = try await StoreFixture()
        try await fixture.enqueue()
        let claim = try #require(try await fixture.store.claimRun(pod: "pod-1", leaseMillis: 60_000))
        func append(_ seq: Int) async throws -> Set<String> {
            Set(try await fixture.store.appendChunks(
                [.init(seq: seq, body: "{}")], threadId: claim.run.threadId, runId: claim.runId, attempt: claim.attempt, pod: "pod-1"))
        }
        #expect(try await append(1) == [])
        let first = try await fixture.store.watch(threadId: fixture.threadId, pod: "pod-2")
        _ = try await fixture.store.watch(threadId: fixture.threadId, pod: "pod-3")
        #expect(try await append(2) == ["pod-2", "pod-3"])
        let reopened = try await fixture.store.watch(threadId: fixture.threadId, pod: "pod-2")
        try await fixture.store.unwatch(threadId: fixture.threadId, pod: "pod-2", token: first)
        #expect(try await append(3) == ["pod-2", "pod-3"], "the stale token removed nothing")
        try await fixture.store.unwatch(threadId: fixture.threadId, pod: "pod-2", token: reopened)
        #expect(try await append(4) == ["pod-3"])
        try await fixture.store.registerPodEndpoint(PodEndpoint(name: "pod-3", signalPort: 1, pid: 1, startedAt: 0))
        #expect(try await append(5) == [])
    }

    @Test func openingAStoreThatWasNeverCreatedFails() async {
        await #expect(throws: StoreError.self) { try await Store.open(at: "/nonexistent/podsim/store.sqlite", clock: wallClockMillis) }
    }

    @Test func sessionsAndLinksLiveInTheStore() async throws {
        let fixture = try await StoreFixture()
        let other = try await Store.open(at: fixture.path, clock: wallClockMillis)
        let session = try await fixture.store.createSession(for: fixture.org.apiKey)
        #expect(try await other.session(token: session.token) == session)
        #expect(try await other.deleteSession(token: session.token))
        #expect(try await fixture.store.session(token: session.token) == nil)
        let link = try await fixture.store.registerLink(
            userId: fixture.org.user.id, orgId: fixture.org.org.id, url: "http://127.0.0.1:1", capabilities: ["decopilot-sandbox"], ttlMs: 60_000)
        #expect(try await other.liveLink(userId: fixture.org.user.id)?.id == link.id)
        #expect(try await other.heartbeatLink(id: link.id, userId: "someone-else") == nil)
        #expect(try await other.heartbeatLink(id: link.id, userId: fixture.org.user.id)?.id == link.id)
        #expect(try await other.deleteLink(id: link.id, userId: fixture.org.user.id))
        #expect(try await fixture.store.liveLink(userId: fixture.org.user.id) == nil)
    }
}

@Suite struct MigrationTests {
    @Test func theSchemaIsTodaysSchema() async throws {
        let fixture = try await StoreFixture()
        let indexes = try await fixture.store.query(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name IN ('chunk_run', 'thread_public_id') ORDER BY name")
        #expect(indexes.map { $0["sql"] ?? nil } == [
            #"CREATE UNIQUE INDEX "chunk_run" ON "chunk"("runId", "attempt", "seq")"#,
            #"CREATE UNIQUE INDEX "thread_public_id" ON "thread"("orgId", "publicId")"#,
        ])
        let journal = try await fixture.store.query("PRAGMA journal_mode")
        #expect(journal.first?["journal_mode"] == "wal")
        let applied = try await fixture.store.query("SELECT id FROM migration ORDER BY rowid").map { $0["id"] ?? nil }
        #expect(applied == [
            "v1", "v2: org-scoped thread ids, unique chunk sequence numbers",
            "v3: the hosted profile's workflows, per-thread subjects, duplicate window and keyed parts",
            "v4: bus faults", "v5: the history journal", "v6: which pods watch which threads",
        ])
    }

    @Test func creatingAgainAppliesNothingTwice() async throws {
        let fixture = try await StoreFixture()
        let again = try await Store.create(at: fixture.path, clock: wallClockMillis)
        #expect(try await again.query("SELECT count(*) AS n FROM migration").first?["n"] == "6")
        #expect(try await again.thread(id: fixture.threadId) != nil)
    }

    @Test func aStoreFromANewerPodsimIsRefused() async throws {
        let fixture = try await StoreFixture()
        try await StoreFixture.execute(#"INSERT INTO migration (id, appliedAt) VALUES ('v99', 0)"#, at: fixture.path)
        await #expect(throws: StoreError.unknownMigrations(["v99"])) { try await Store.open(at: fixture.path, clock: wallClockMillis) }
        await #expect(throws: StoreError.unknownMigrations(["v99"])) { try await Store.create(at: fixture.path, clock: wallClockMillis) }
    }

    @Test func aDatabaseWithoutMigrationsIsNotOpened() async throws {
        let directory = FileManager.default.temporaryDirectory.path + "/podsim-store-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/empty.sqlite"
        try await StoreFixture.execute("CREATE TABLE unrelated (x)", at: path)
        await #expect(throws: StoreError.notMigrated(path)) { try await Store.open(at: path, clock: wallClockMillis) }
    }

    @Test func aStoreCreatedByTheGRDBEraIsRefusedWithAClearError() async throws {
        let directory = FileManager.default.temporaryDirectory.path + "/podsim-store-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/old.sqlite"
        try await StoreFixture.execute("CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)", at: path)
        await #expect(throws: StoreError.olderLayout(path)) { try await Store.create(at: path, clock: wallClockMillis) }
        await #expect(throws: StoreError.olderLayout(path)) { try await Store.open(at: path, clock: wallClockMillis) }
    }

    /// A held store is inside no SQLite call: another process's store writes at once, the held
    /// store's own writes wait for the release and then land, none lost.
    @Test func heldConnectionsLeaveTheFileToOthersUntilReleased() async throws {
        let fixture = try await StoreFixture()
        let held = try await Store.open(at: fixture.path, clock: wallClockMillis)
        let other = try await Store.open(at: fixture.path, clock: wallClockMillis)
        let hold = await held.holdConnections(upTo: .seconds(10))
        #expect(hold.complete)
        let waiting = Task { _ = try await fixture.enqueue(messageId: "held", on: held) }
        try await fixture.enqueue(messageId: "other", on: other)
        let runs = try #require(try await other.threadSummary(id: fixture.threadId)).runCount
        #expect(runs == 1, "only the other store's write landed while the hold lasted")
        hold.release()
        try await waiting.value
        #expect(try #require(try await other.threadSummary(id: fixture.threadId)).runCount == 2)
    }
}
