import Foundation
import PodsimStore
import Testing

/// A fresh store in a temporary directory, with one org, agent and thread.
struct StoreFixture {
    let store: Store
    let path: String
    let org: Store.OrgBootstrap
    let threadId: String

    init() throws {
        let directory = FileManager.default.temporaryDirectory.path + "/podsim-store-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = directory + "/store.sqlite"
        store = try Store.create(at: path)
        org = try store.createOrg(name: "Acme", slug: nil)
        let agent = try store.createAgent(orgId: org.org.id, title: "helper")
        guard case .created(let thread) = try store.createThread(id: nil, orgId: org.org.id, agentId: agent.id) else {
            throw FixtureError.threadNotCreated
        }
        threadId = thread.id
    }

    enum FixtureError: Error { case threadNotCreated }

    @discardableResult
    func enqueue(messageId: String = UUID().uuidString, thread: String? = nil, text: String = "hi") throws -> Store.Enqueued {
        let threadId = thread ?? self.threadId
        return try store.enqueueRun(
            threadId: threadId, orgId: org.org.id, userId: org.user.id,
            message: ChatMessage(id: messageId, threadId: threadId, role: "user", text: text, createdAt: Int64(Date().timeIntervalSince1970 * 1000)),
            providerKind: "docker")
    }

    func append(_ claim: Store.ClaimedRun, seqs: ClosedRange<Int>, pod: String, fenced: Bool = true) throws {
        try store.appendChunks(
            seqs.map { .init(seq: $0, body: #"{"type":"text-delta","id":"t","delta":"chunk-\#($0) "}"#) },
            threadId: claim.run.threadId, runId: claim.runId, attempt: claim.attempt, pod: pod, fenced: fenced)
    }
}

@Suite struct RunQueueTests {
    @Test func enqueueIsIdempotentOnThreadAndMessage() throws {
        let fixture = try StoreFixture()
        let first = try fixture.enqueue(messageId: "m1")
        let second = try fixture.enqueue(messageId: "m1")
        #expect(first.created)
        #expect(!second.created)
        #expect(first.run.id == second.run.id)
        #expect(try fixture.store.threadSummary(id: fixture.threadId)?.runCount == 1)
    }

    @Test func aRunIsClaimedByExactlyOnePod() throws {
        let fixture = try StoreFixture()
        try fixture.enqueue()
        let first = try fixture.store.claimRun(pod: "pod-1", leaseMillis: 10_000)
        let second = try fixture.store.claimRun(pod: "pod-2", leaseMillis: 10_000)
        #expect(first?.attempt == 1)
        #expect(second == nil)
        let thread = try #require(try fixture.store.thread(id: fixture.threadId))
        #expect(thread.status == .inProgress)
        #expect(thread.runOwnerPod == "pod-1")
    }

    @Test func theStoreRefusesADuplicateSequenceNumberWithinAnAttempt() throws {
        let fixture = try StoreFixture()
        try fixture.enqueue()
        let claim = try #require(try fixture.store.claimRun(pod: "pod-1", leaseMillis: 10_000))
        try fixture.append(claim, seqs: 1...3, pod: "pod-1")
        #expect(throws: (any Error).self) { try fixture.append(claim, seqs: 3...4, pod: "pod-1", fenced: false) }
        #expect(try fixture.store.chunks(runId: claim.runId).map(\.seq) == [1, 2, 3], "a refused batch must leave nothing behind")
    }

    @Test func threadIdsAreScopedToTheirOrg() throws {
        let fixture = try StoreFixture()
        let other = try fixture.store.createOrg(name: "Other", slug: nil)
        let otherAgent = try fixture.store.createAgent(orgId: other.org.id, title: "helper")
        guard case .created(let mine) = try fixture.store.createThread(id: "t1", orgId: fixture.org.org.id, agentId: try #require(
            try fixture.store.thread(id: fixture.threadId)).agentId)
        else { throw StoreFixture.FixtureError.threadNotCreated }
        guard case .created(let theirs) = try fixture.store.createThread(id: "t1", orgId: other.org.id, agentId: otherAgent.id) else {
            throw StoreFixture.FixtureError.threadNotCreated
        }
        #expect(mine.id == "t1" && mine.publicId == "t1")
        #expect(theirs.publicId == "t1" && theirs.id != mine.id && theirs.id.hasPrefix("t1~"))
        #expect(try fixture.store.createThread(id: "t1", orgId: other.org.id, agentId: otherAgent.id) == .exists)
        #expect(try fixture.store.thread(orgId: other.org.id, publicId: "t1")?.id == theirs.id)
        #expect(try fixture.store.thread(orgId: fixture.org.org.id, publicId: "t1")?.id == mine.id)
    }

    @Test func anOrgIsFoundByIdBeforeSlugAndASlugCannotBeAnId() throws {
        let fixture = try StoreFixture()
        #expect(throws: Store.AccountError.slugTaken(fixture.org.org.id)) {
            try fixture.store.createOrg(name: "Squatter", slug: fixture.org.org.id)
        }
        #expect(try fixture.store.org(idOrSlug: fixture.org.org.id)?.id == fixture.org.org.id)
        #expect(try fixture.store.org(idOrSlug: fixture.org.org.slug)?.id == fixture.org.org.id)
    }

    @Test func runsOfOneThreadExecuteOneAtATimeInOrder() throws {
        let fixture = try StoreFixture()
        let first = try fixture.enqueue(messageId: "a")
        let second = try fixture.enqueue(messageId: "b")
        let claim = try #require(try fixture.store.claimRun(pod: "pod-1", leaseMillis: 10_000))
        #expect(claim.runId == first.run.id)
        #expect(try fixture.store.claimRun(pod: "pod-2", leaseMillis: 10_000) == nil)
        try fixture.store.finishRun(runId: claim.runId, attempt: 1, pod: "pod-1") { _ in .init(state: .completed, error: nil, parts: []) }
        let next = try #require(try fixture.store.claimRun(pod: "pod-2", leaseMillis: 10_000))
        #expect(next.runId == second.run.id)
        #expect(next.messages.map(\.id) == ["a", "b"])
    }

    @Test func anExpiredLeaseIsReclaimedAsANewAttemptAndTheDeadAttemptPurged() throws {
        let fixture = try StoreFixture()
        try fixture.enqueue()
        let dead = try #require(try fixture.store.claimRun(pod: "pod-1", leaseMillis: 1))
        try fixture.append(dead, seqs: 1...2, pod: "pod-1")
        try waitUntilExpired()
        let claim = try #require(try fixture.store.claimRun(pod: "pod-2", leaseMillis: 10_000))
        #expect(claim.isReclaim)
        #expect(claim.attempt == 2)
        #expect(claim.firstSeq == 1)
        #expect(try fixture.store.chunks(runId: claim.runId).isEmpty)
        #expect(try fixture.store.thread(id: fixture.threadId)?.runOwnerPod == "pod-2")
    }

    @Test func historicalClaimPoliciesReproduceTheirBugs() throws {
        let fixture = try StoreFixture()
        try fixture.enqueue()
        let dead = try #require(try fixture.store.claimRun(pod: "pod-1", leaseMillis: 1))
        try fixture.append(dead, seqs: 1...2, pod: "pod-1")
        try waitUntilExpired()
        #expect(try fixture.store.claimRun(pod: "pod-2", leaseMillis: 10_000, policy: .init(reclaimOwnedRuns: false)) == nil)
        #expect(try !fixture.store.hasClaimableRun(policy: .init(reclaimOwnedRuns: false)))
        let claim = try #require(
            try fixture.store.claimRun(pod: "pod-2", leaseMillis: 10_000, policy: .init(purgeDeadAttempt: false, restartSequence: false)))
        #expect(claim.firstSeq == 3)
        #expect(try fixture.store.chunks(runId: claim.runId).count == 2)
    }

    @Test func writesOfALostAttemptAreFenced() throws {
        let fixture = try StoreFixture()
        try fixture.enqueue()
        let dead = try #require(try fixture.store.claimRun(pod: "pod-1", leaseMillis: 1))
        try waitUntilExpired()
        let claim = try #require(try fixture.store.claimRun(pod: "pod-2", leaseMillis: 10_000))
        #expect(throws: StoreError.fenced(runId: dead.runId, attempt: 1)) { try fixture.append(dead, seqs: 1...1, pod: "pod-1") }
        #expect(try !fixture.store.renewLease(runId: dead.runId, attempt: 1, pod: "pod-1", leaseMillis: 1000).held)
        #expect(throws: StoreError.fenced(runId: dead.runId, attempt: 1)) {
            try fixture.store.finishRun(runId: dead.runId, attempt: 1, pod: "pod-1") { _ in .init(state: .completed, error: nil, parts: []) }
        }
        try fixture.append(dead, seqs: 1...1, pod: "pod-1", fenced: false)
        #expect(try fixture.store.chunks(runId: claim.runId).map(\.attempt) == [1])
    }

    @Test func finishPersistsPartsOnceAndIsTerminal() throws {
        let fixture = try StoreFixture()
        try fixture.enqueue()
        let claim = try #require(try fixture.store.claimRun(pod: "pod-1", leaseMillis: 10_000))
        try fixture.append(claim, seqs: 1...3, pod: "pod-1")
        let part = MessagePart(threadId: fixture.threadId, runId: claim.runId, role: "assistant", type: "text", body: "{}", pod: "pod-1", createdAt: 0)
        let projection = try fixture.store.finishRun(runId: claim.runId, attempt: 1, pod: "pod-1") { chunks in
            .init(state: .completed, error: nil, parts: Array(repeating: part, count: chunks.count == 3 ? 1 : 0))
        }
        #expect(projection.parts.count == 1)
        #expect(throws: StoreError.self) {
            try fixture.store.finishRun(runId: claim.runId, attempt: 1, pod: "pod-1") { _ in .init(state: .completed, error: nil, parts: [part]) }
        }
        let summary = try #require(try fixture.store.threadSummary(id: fixture.threadId))
        #expect(summary.thread.status == .completed)
        #expect(summary.partCount == 2)
    }

    @Test func aReleasedRunIsClaimableAtOnce() throws {
        let fixture = try StoreFixture()
        try fixture.enqueue()
        let claim = try #require(try fixture.store.claimRun(pod: "pod-1", leaseMillis: 60_000))
        #expect(try fixture.store.claimRun(pod: "pod-2", leaseMillis: 60_000) == nil)
        try fixture.store.releaseRun(runId: claim.runId, attempt: 1, pod: "pod-1")
        let next = try #require(try fixture.store.claimRun(pod: "pod-2", leaseMillis: 60_000, policy: .init(reclaimOwnedRuns: false)))
        #expect(next.attempt == 2)
    }

    @Test func cancelFailsQueuedRunsAndFlagsRunningOnes() throws {
        let fixture = try StoreFixture()
        #expect(try fixture.store.requestCancel(threadId: fixture.threadId) == .nothingToCancel)
        let queued = try fixture.enqueue()
        #expect(try fixture.store.requestCancel(threadId: fixture.threadId) == .cancelledQueued(runId: queued.run.id!))
        try fixture.enqueue()
        let claim = try #require(try fixture.store.claimRun(pod: "pod-3", leaseMillis: 60_000))
        #expect(try fixture.store.requestCancel(threadId: fixture.threadId) == .requested(runId: claim.runId, ownerPod: "pod-3"))
        #expect(try fixture.store.renewLease(runId: claim.runId, attempt: 1, pod: "pod-3", leaseMillis: 60_000).cancelRequested)
    }

    @Test func replayFollowsTheStoreStatus() throws {
        let fixture = try StoreFixture()
        try fixture.enqueue()
        let claim = try #require(try fixture.store.claimRun(pod: "pod-1", leaseMillis: 60_000))
        try fixture.append(claim, seqs: 1...4, pod: "pod-1")
        let last = try fixture.store.lastChunkID(threadId: fixture.threadId)
        #expect(try fixture.store.replay(threadId: fixture.threadId, upToID: last).map(\.seq) == [1, 2, 3, 4])
        #expect(try fixture.store.replay(threadId: fixture.threadId, upToID: last - 2).map(\.seq) == [1, 2])
        try fixture.store.finishRun(runId: claim.runId, attempt: 1, pod: "pod-1") { _ in .init(state: .completed, error: nil, parts: []) }
        #expect(try fixture.store.replay(threadId: fixture.threadId, upToID: last).isEmpty)
    }

    private func waitUntilExpired() throws {
        let deadline = Date().addingTimeInterval(2)
        let start = Int64(Date().timeIntervalSince1970 * 1000)
        while Int64(Date().timeIntervalSince1970 * 1000) <= start + 2, Date() < deadline {}
    }
}
