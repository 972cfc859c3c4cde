import Foundation
import PodsimModel
import PodsimStore
import SQLiteNIO
import Testing

/// A fresh store in a temporary directory, with one org, agent and thread.
struct StoreFixture {
    let store: Store
    let path: String
    let org: Store.OrgBootstrap
    let threadId: String

    /// `journal`: the process the store's journal names (nil: no journal).
    init(journal: String? = nil) async throws {
        let directory = FileManager.default.temporaryDirectory.path + "/podsim-store-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = directory + "/store.sqlite"
        store = try await Store.create(at: path, clock: wallClockMillis, journal: journal)
        org = try await store.createOrg(name: "Acme", slug: nil)
        let agent = try await store.createAgent(orgId: org.org.id, title: "helper")
        guard case .created(let thread) = try await store.createThread(id: nil, orgId: org.org.id, agentId: agent.id) else {
            throw FixtureError.threadNotCreated
        }
        threadId = thread.id
    }

    enum FixtureError: Error { case threadNotCreated }

    /// Runs one statement on a connection of its own, as another program (or a newer podsim) would.
    static func execute(_ sql: String, at path: String) async throws {
        let connection = try await SQLiteConnection.open(storage: .file(path: path))
        do {
            _ = try await connection.query(sql)
        } catch {
            try await connection.close()
            throw error
        }
        try await connection.close()
    }

    /// Enqueues a run through the fixture's store, or through `store` (another handle on the file).
    @discardableResult
    func enqueue(
        messageId: String = UUID().uuidString, thread: String? = nil, text: String = "hi", on store: Store? = nil
    ) async throws -> Store.Enqueued {
        let threadId = thread ?? self.threadId
        return try await (store ?? self.store).enqueueRun(
            threadId: threadId, orgId: org.org.id, userId: org.user.id,
            message: ChatMessage(id: messageId, threadId: threadId, role: "user", text: text, createdAt: Int64(Date().timeIntervalSince1970 * 1000)),
            providerKind: "docker")
    }

    func append(_ claim: Store.ClaimedRun, seqs: ClosedRange<Int>, pod: String, fenced: Bool = true) async throws {
        try await store.appendChunks(
            seqs.map { .init(seq: $0, body: #"{"type":"text-delta","id":"t","delta":"chunk-\#($0) "}"#) },
            threadId: claim.run.threadId, runId: claim.runId, attempt: claim.attempt, pod: pod, fenced: fenced)
    }
}

@Suite struct RunQueueTests {
    @Test func enqueueIsIdempotentOnThreadAndMessage() async throws {
        let fixture = try await StoreFixture()
        let first = try await fixture.enqueue(messageId: "m1")
        let second = try await fixture.enqueue(messageId: "m1")
        #expect(first.created)
        #expect(!second.created)
        #expect(first.run.id == second.run.id)
        #expect(try await fixture.store.threadSummary(id: fixture.threadId)?.runCount == 1)
    }

    @Test func aRunIsClaimedByExactlyOnePod() async throws {
        let fixture = try await StoreFixture()
        try await fixture.enqueue()
        let first = try await fixture.store.claimRun(pod: "pod-1", leaseMillis: 10_000)
        let second = try await fixture.store.claimRun(pod: "pod-2", leaseMillis: 10_000)
        #expect(first?.attempt == 1)
        #expect(second == nil)
        let thread = try #require(try await fixture.store.thread(id: fixture.threadId))
        #expect(thread.status == .inProgress)
        #expect(thread.runOwnerPod == "pod-1")
    }

    @Test func theStoreRefusesADuplicateSequenceNumberWithinAnAttempt() async throws {
        let fixture = try await StoreFixture()
        try await fixture.enqueue()
        let claim = try #require(try await fixture.store.claimRun(pod: "pod-1", leaseMillis: 10_000))
        try await fixture.append(claim, seqs: 1...3, pod: "pod-1")
        await #expect(throws: (any Error).self) { try await fixture.append(claim, seqs: 3...4, pod: "pod-1", fenced: false) }
        #expect(try await fixture.store.chunks(runId: claim.runId).map(\.seq) == [1, 2, 3], "a refused batch must leave nothing behind")
    }

    @Test func threadIdsAreScopedToTheirOrg() async throws {
        let fixture = try await StoreFixture()
        let other = try await fixture.store.createOrg(name: "Other", slug: nil)
        let otherAgent = try await fixture.store.createAgent(orgId: other.org.id, title: "helper")
        guard case .created(let mine) = try await fixture.store.createThread(id: "t1", orgId: fixture.org.org.id, agentId: try #require(
            try await fixture.store.thread(id: fixture.threadId)).agentId)
        else { throw StoreFixture.FixtureError.threadNotCreated }
        guard case .created(let theirs) = try await fixture.store.createThread(id: "t1", orgId: other.org.id, agentId: otherAgent.id) else {
            throw StoreFixture.FixtureError.threadNotCreated
        }
        #expect(mine.id == "t1" && mine.publicId == "t1")
        #expect(theirs.publicId == "t1" && theirs.id != mine.id && theirs.id.hasPrefix("t1~"))
        #expect(try await fixture.store.createThread(id: "t1", orgId: other.org.id, agentId: otherAgent.id) == .exists)
        #expect(try await fixture.store.thread(orgId: other.org.id, publicId: "t1")?.id == theirs.id)
        #expect(try await fixture.store.thread(orgId: fixture.org.org.id, publicId: "t1")?.id == mine.id)
    }

    @Test func anOrgIsFoundByIdBeforeSlugAndASlugCannotBeAnId() async throws {
        let fixture = try await StoreFixture()
        await #expect(throws: Store.AccountError.slugTaken(fixture.org.org.id)) {
            try await fixture.store.createOrg(name: "Squatter", slug: fixture.org.org.id)
        }
        #expect(try await fixture.store.org(idOrSlug: fixture.org.org.id)?.id == fixture.org.org.id)
        #expect(try await fixture.store.org(idOrSlug: fixture.org.org.slug)?.id == fixture.org.org.id)
    }

    @Test func runsOfOneThreadExecuteOneAtATimeInOrder() async throws {
        let fixture = try await StoreFixture()
        let first = try await fixture.enqueue(messageId: "a")
        let second = try await fixture.enqueue(messageId: "b")
        let claim = try #require(try await fixture.store.claimRun(pod: "pod-1", leaseMillis: 10_000))
        #expect(claim.runId == first.run.id)
        #expect(try await fixture.store.claimRun(pod: "pod-2", leaseMillis: 10_000) == nil)
        try await fixture.store.finishRun(runId: claim.runId, attempt: 1, pod: "pod-1") { _ in .init(state: .completed, error: nil, parts: []) }
        let next = try #require(try await fixture.store.claimRun(pod: "pod-2", leaseMillis: 10_000))
        #expect(next.runId == second.run.id)
        #expect(next.messages.map(\.id) == ["a", "b"])
    }

    @Test func anExpiredLeaseIsReclaimedAsANewAttemptAndTheDeadAttemptPurged() async throws {
        let fixture = try await StoreFixture()
        try await fixture.enqueue()
        let dead = try #require(try await fixture.store.claimRun(pod: "pod-1", leaseMillis: 1))
        try await fixture.append(dead, seqs: 1...2, pod: "pod-1")
        try await waitUntilExpired()
        let claim = try #require(try await fixture.store.claimRun(pod: "pod-2", leaseMillis: 10_000))
        #expect(claim.isReclaim)
        #expect(claim.attempt == 2)
        #expect(claim.firstSeq == 1)
        #expect(try await fixture.store.chunks(runId: claim.runId).isEmpty)
        #expect(try await fixture.store.thread(id: fixture.threadId)?.runOwnerPod == "pod-2")
    }

    @Test func historicalClaimPoliciesReproduceTheirBugs() async throws {
        let fixture = try await StoreFixture()
        try await fixture.enqueue()
        let dead = try #require(try await fixture.store.claimRun(pod: "pod-1", leaseMillis: 1))
        try await fixture.append(dead, seqs: 1...2, pod: "pod-1")
        try await waitUntilExpired()
        #expect(try await fixture.store.claimRun(pod: "pod-2", leaseMillis: 10_000, policy: .init(reclaimOwnedRuns: false)) == nil)
        #expect(try await !fixture.store.hasClaimableRun(policy: .init(reclaimOwnedRuns: false)))
        let claim = try #require(
            try await fixture.store.claimRun(pod: "pod-2", leaseMillis: 10_000, policy: .init(purgeDeadAttempt: false, restartSequence: false)))
        #expect(claim.firstSeq == 3)
        #expect(try await fixture.store.chunks(runId: claim.runId).count == 2)
    }

    @Test func writesOfALostAttemptAreFenced() async throws {
        let fixture = try await StoreFixture()
        try await fixture.enqueue()
        let dead = try #require(try await fixture.store.claimRun(pod: "pod-1", leaseMillis: 1))
        try await waitUntilExpired()
        let claim = try #require(try await fixture.store.claimRun(pod: "pod-2", leaseMillis: 10_000))
        await #expect(throws: StoreError.fenced(runId: dead.runId, attempt: 1)) { try await fixture.append(dead, seqs: 1...1, pod: "pod-1") }
        #expect(try await !fixture.store.renewLease(runId: dead.runId, attempt: 1, pod: "pod-1", leaseMillis: 1000).held)
        await #expect(throws: StoreError.fenced(runId: dead.runId, attempt: 1)) {
            try await fixture.store.finishRun(runId: dead.runId, attempt: 1, pod: "pod-1") { _ in .init(state: .completed, error: nil, parts: []) }
        }
        try await fixture.append(dead, seqs: 1...1, pod: "pod-1", fenced: false)
        #expect(try await fixture.store.chunks(runId: claim.runId).map(\.attempt) == [1])
    }

    @Test func finishPersistsPartsOnceAndIsTerminal() async throws {
        let fixture = try await StoreFixture()
        try await fixture.enqueue()
        let claim = try #require(try await fixture.store.claimRun(pod: "pod-1", leaseMillis: 10_000))
        try await fixture.append(claim, seqs: 1...3, pod: "pod-1")
        let part = MessagePart(threadId: fixture.threadId, runId: claim.runId, role: "assistant", type: "text", body: "{}", pod: "pod-1", createdAt: 0)
        let projection = try await fixture.store.finishRun(runId: claim.runId, attempt: 1, pod: "pod-1") { chunks in
            .init(state: .completed, error: nil, parts: Array(repeating: part, count: chunks.count == 3 ? 1 : 0))
        }
        #expect(projection.parts.count == 1)
        await #expect(throws: StoreError.self) {
            try await fixture.store.finishRun(runId: claim.runId, attempt: 1, pod: "pod-1") { _ in .init(state: .completed, error: nil, parts: [part]) }
        }
        let summary = try #require(try await fixture.store.threadSummary(id: fixture.threadId))
        #expect(summary.thread.status == .completed)
        #expect(summary.partCount == 2)
    }

    @Test func aReleasedRunIsClaimableAtOnce() async throws {
        let fixture = try await StoreFixture()
        try await fixture.enqueue()
        let claim = try #require(try await fixture.store.claimRun(pod: "pod-1", leaseMillis: 60_000))
        #expect(try await fixture.store.claimRun(pod: "pod-2", leaseMillis: 60_000) == nil)
        try await fixture.store.releaseRun(runId: claim.runId, attempt: 1, pod: "pod-1")
        let next = try #require(try await fixture.store.claimRun(pod: "pod-2", leaseMillis: 60_000, policy: .init(reclaimOwnedRuns: false)))
        #expect(next.attempt == 2)
    }

    @Test func cancelFailsQueuedRunsAndFlagsRunningOnes() async throws {
        let fixture = try await StoreFixture()
        #expect(try await fixture.store.requestCancel(threadId: fixture.threadId) == .nothingToCancel)
        let queued = try await fixture.enqueue()
        #expect(try await fixture.store.requestCancel(threadId: fixture.threadId) == .cancelledQueued(runId: queued.run.id!))
        try await fixture.enqueue()
        let claim = try #require(try await fixture.store.claimRun(pod: "pod-3", leaseMillis: 60_000))
        #expect(try await fixture.store.requestCancel(threadId: fixture.threadId) == .requested(runId: claim.runId, ownerPod: "pod-3"))
        #expect(try await fixture.store.renewLease(runId: claim.runId, attempt: 1, pod: "pod-3", leaseMillis: 60_000).cancelRequested)
    }

    @Test func replayFollowsTheStoreStatus() async throws {
        let fixture = try await StoreFixture()
        try await fixture.enqueue()
        let claim = try #require(try await fixture.store.claimRun(pod: "pod-1", leaseMillis: 60_000))
        try await fixture.append(claim, seqs: 1...4, pod: "pod-1")
        let last = try await fixture.store.lastChunkID(threadId: fixture.threadId)
        #expect(try await fixture.store.replayOfRunningAttempt(threadId: fixture.threadId, upToID: last).map(\.seq) == [1, 2, 3, 4])
        #expect(try await fixture.store.replayOfRunningAttempt(threadId: fixture.threadId, upToID: last - 2).map(\.seq) == [1, 2])
        try await fixture.store.finishRun(runId: claim.runId, attempt: 1, pod: "pod-1") { _ in .init(state: .completed, error: nil, parts: []) }
        #expect(try await fixture.store.replayOfRunningAttempt(threadId: fixture.threadId, upToID: last).isEmpty)
    }

    /// Waits (at most 2 s) until the wall clock has moved past a 1 ms lease taken now.
    private func waitUntilExpired() async throws {
        let deadline = ContinuousClock.now + .seconds(2)
        let start = Int64(Date().timeIntervalSince1970 * 1000)
        while Int64(Date().timeIntervalSince1970 * 1000) <= start + 2, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}
