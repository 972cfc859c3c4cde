import Foundation
import PodsimModel
import PodsimStore
import Synchronization
import Testing

/// A clock a test moves by hand.
final class ManualClock: Sendable {
    private let millis = Mutex<Int64>(1_800_000_000_000)

    var now: Int64 { millis.withLock { $0 } }
    func advance(by delta: Int64) { millis.withLock { $0 += delta } }
    var read: Store.Clock { { [self] in now } }
}

/// A fresh store on a manual clock with one org and agent; threads are created per test.
struct HostedStoreFixture {
    let store: Store
    let clock = ManualClock()
    let org: Store.OrgBootstrap
    let agentId: String

    /// `journal`: the process the store's journal names (nil: no journal).
    init(journal: String? = nil) async throws {
        let directory = FileManager.default.temporaryDirectory.path + "/podsim-hosted-store-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        store = try await Store.create(at: directory + "/store.sqlite", clock: clock.read, journal: journal)
        org = try await store.createOrg(name: "Acme", slug: nil)
        agentId = try await store.createAgent(orgId: org.org.id, title: "helper").id
    }

    func thread(_ id: String) async throws -> String {
        guard case .created(let thread) = try await store.createThread(id: id, orgId: org.org.id, agentId: agentId, createdBy: org.user.id)
        else { throw StoreFixture.FixtureError.threadNotCreated }
        return thread.id
    }

    /// Accepts a user turn as the POST route does; the clock moves 1 ms so turns keep their order.
    @discardableResult
    func post(_ messageId: String, on threadId: String, priority: Int = 10) async throws -> Store.AcceptedTurn {
        clock.advance(by: 1)
        let message = ChatMessage(id: messageId, threadId: threadId, role: "user", text: "hello \(messageId)", createdAt: clock.now)
        let parts = [
            userPart(threadId, messageId, 0, type: "text", body: #"{"text":"hello"}"#),
            userPart(threadId, messageId, 1, type: "finish", body: "{}"),
        ]
        return try await store.acceptHostedTurn(
            Store.HostedTurn(
                message: message, orgId: org.org.id, userId: org.user.id, userParts: parts, branch: nil, priority: priority,
                waitingFrame: #"{"stage":"waiting-runner"}"#, pod: "pod-1"))
    }

    private func userPart(_ threadId: String, _ messageId: String, _ seq: Int, type: String, body: String) -> MessagePart {
        MessagePart(
            threadId: threadId, runId: nil, role: "user", type: type, body: body, pod: "pod-1", createdAt: 0,
            key: "\(threadId):\(messageId):\(seq)", messageId: messageId)
    }

    /// Dequeues and dispatches the next gate on `pod`, starting its child.
    func dispatchNext(on pod: String, fence: String) async throws -> (gate: Workflow, fence: String) {
        let gate = try #require(try await store.dequeue(kind: .gate, executor: pod))
        let dispatch = try #require(try await store.dispatchTurn(gateId: gate.id, executor: pod, fence: fence, startingFrame: "starting"))
        try await store.startChild(of: gate, fence: dispatch.fence)
        return (gate, dispatch.fence)
    }

    func publish(_ threadId: String, fence: String, seqs: ClosedRange<Int>, window: Int64 = 20_000) async throws -> [Bool] {
        try await store.publish(
            seqs.map { SubjectPublish(msgId: "\(threadId):\(fence):\($0)", fence: fence, seq: $0, body: "chunk-\($0)") },
            threadId: threadId, pod: "pod-1", dedupWindowMillis: window)
    }

    func bodies(_ threadId: String) async throws -> [String] {
        try await store.retainedSubjectMessages(threadId: threadId).map(\.body)
    }
}

@Suite struct HostedStoreTests {
    @Test func gatesDequeueOnePerThreadHeadFirst() async throws {
        let fixture = try await HostedStoreFixture()
        let a = try await fixture.thread("a")
        let b = try await fixture.thread("b")
        try await fixture.post("a1", on: a)
        try await fixture.post("a2", on: a)
        try await fixture.post("b1", on: b)
        #expect(try await fixture.post("a1", on: a).created == false, "a repeated POST collapses onto its gate")

        let first = try #require(try await fixture.store.dequeue(kind: .gate, executor: "pod-1"))
        let second = try #require(try await fixture.store.dequeue(kind: .gate, executor: "pod-2"))
        #expect(first.id == Store.WorkflowID.gate(threadId: a, messageId: "a1"))
        #expect(second.id == Store.WorkflowID.gate(threadId: b, messageId: "b1"), "a2 waits while a1 is PENDING")
        #expect(try await fixture.store.dequeue(kind: .gate, executor: "pod-3") == nil)
        #expect(try await !fixture.store.hasDequeueableWorkflow(kind: .gate))

        try await fixture.store.finishWorkflow(id: first.id, executor: "pod-1", status: .success)
        #expect(try await fixture.store.dequeue(kind: .gate, executor: "pod-3")?.id == Store.WorkflowID.gate(threadId: a, messageId: "a2"))
    }

    @Test func aHigherPriorityTurnIsTheHeadOfItsPartition() async throws {
        let fixture = try await HostedStoreFixture()
        let a = try await fixture.thread("a")
        try await fixture.post("late", on: a, priority: 40)
        try await fixture.post("urgent", on: a, priority: 10)
        #expect(try await fixture.store.dequeue(kind: .gate, executor: "pod-1")?.messageId == "urgent")
    }

    @Test func childrenDequeueOnceEachInPriorityOrder() async throws {
        let fixture = try await HostedStoreFixture()
        let a = try await fixture.thread("a")
        let b = try await fixture.thread("b")
        try await fixture.post("a1", on: a)
        try await fixture.post("b1", on: b)
        let gateA = try await fixture.dispatchNext(on: "pod-1", fence: "fa")
        let gateB = try await fixture.dispatchNext(on: "pod-1", fence: "fb")
        #expect(try await fixture.store.startChild(of: gateA.gate, fence: "fa") == Store.WorkflowID.child(threadId: a, fence: "fa"))

        let first = try #require(try await fixture.store.dequeue(kind: .child, executor: "pod-2"))
        let second = try #require(try await fixture.store.dequeue(kind: .child, executor: "pod-3"))
        #expect(first.id == Store.WorkflowID.child(threadId: a, fence: "fa") && first.fence == "fa")
        #expect(second.id == Store.WorkflowID.child(threadId: b, fence: gateB.fence) && second.executor == "pod-3")
        #expect(try await fixture.store.dequeue(kind: .child, executor: "pod-2") == nil, "starting a child twice starts it once")
        #expect(try await fixture.store.threadSummary(id: a)?.executorPod == "pod-2")
        #expect(try await fixture.store.threadSummary(id: a)?.gatePod == "pod-1")
    }

    @Test func theDispatchStepIsJournaled() async throws {
        let fixture = try await HostedStoreFixture()
        let a = try await fixture.thread("a")
        try await fixture.post("a1", on: a)
        let gate = try #require(try await fixture.store.dequeue(kind: .gate, executor: "pod-1"))
        let first = try #require(try await fixture.store.dispatchTurn(gateId: gate.id, executor: "pod-1", fence: "f1", startingFrame: "starting"))
        #expect(first.fence == "f1" && !first.replayed)
        let thread = try #require(try await fixture.store.thread(id: a))
        #expect(thread.status == .inProgress && thread.hosted.fence == "f1")

        try await fixture.store.requeueWorkflows(executor: "pod-1")
        let recovered = try #require(try await fixture.store.dequeue(kind: .gate, executor: "pod-2"))
        #expect(recovered.id == gate.id && recovered.recoveries == 1)
        let replay = try #require(try await fixture.store.dispatchTurn(gateId: gate.id, executor: "pod-2", fence: "f2", startingFrame: "starting"))
        #expect(replay.fence == "f1" && replay.replayed)
        #expect(try await fixture.store.thread(id: a)?.hosted.fence == "f1")
        #expect(try await fixture.bodies(a).filter { $0 == "starting" }.count == 1, "a replay publishes no second starting-run")
        #expect(try await fixture.store.dispatchTurn(gateId: gate.id, executor: "pod-1", fence: "f3", startingFrame: "starting") == nil,
            "the former executor no longer holds the gate")
    }

    @Test func theDuplicateWindowSurvivesAPurgeUntilItExpires() async throws {
        let fixture = try await HostedStoreFixture()
        let a = try await fixture.thread("a")
        #expect(try await fixture.publish(a, fence: "f", seqs: 1...3) == [true, true, true])
        let lastBeforePurge = try await fixture.store.lastSubjectID(threadId: a)
        try await fixture.store.purgeSubject(threadId: a)
        #expect(try await fixture.bodies(a).isEmpty)

        fixture.clock.advance(by: 5_000)
        #expect(try await fixture.publish(a, fence: "f", seqs: 1...5) == [false, false, false, true, true], "the #23 trap")
        #expect(try await fixture.bodies(a) == ["chunk-4", "chunk-5"])
        #expect(try await fixture.store.retainedSubjectMessages(threadId: a).allSatisfy { $0.id > lastBeforePurge },
            "stream sequences are never reused")

        fixture.clock.advance(by: 15_001)
        #expect(try await fixture.publish(a, fence: "f", seqs: 1...2) == [true, true], "ids older than the window are stored again")
        #expect(try await fixture.publish(a, fence: "f", seqs: 4...4) == [false], "seq 4 was stored 15 s ago, inside the window")
    }

    @Test func busFaultsRefusePublishesForTheirPodAndDurationAndCountedOnesRunOut() async throws {
        let fixture = try await HostedStoreFixture()
        let a = try await fixture.thread("a")
        try await fixture.store.addBusFault(BusFaultKind.refusePublish.rawValue, pod: "pod-2", durationMillis: 1000, count: nil)
        #expect(try await fixture.publish(a, fence: "f", seqs: 1...1) == [true], "pod-1 is not refused")
        await #expect(throws: BusError.noResponders) {
            try await fixture.store.publish([SubjectPublish(msgId: "x", body: "{}")], threadId: a, pod: "pod-2", dedupWindowMillis: 1000)
        }
        try await fixture.store.addBusFault(BusFaultKind.degrade.rawValue, pod: nil, durationMillis: nil, count: nil)
        await #expect(throws: BusError.unavailable, "degraded wins over refused") {
            try await fixture.store.publish([SubjectPublish(msgId: "x", body: "{}")], threadId: a, pod: "pod-2", dedupWindowMillis: 1000)
        }
        #expect(try await fixture.store.activeBusFaults(pod: "pod-1") == ["degrade"])
        try await fixture.store.clearBusFaults()
        #expect(try await fixture.store.activeBusFaults(pod: "pod-2").isEmpty)

        try await fixture.store.addBusFault(BusFaultKind.refusePublish.rawValue, pod: nil, durationMillis: 1000, count: nil)
        fixture.clock.advance(by: 1000)
        #expect(try await fixture.publish(a, fence: "f", seqs: 2...2) == [true], "the refusal is over")

        try await fixture.store.addBusFault(BusFaultKind.failConsumerOpen.rawValue, pod: "pod-1", durationMillis: nil, count: 2)
        #expect(try await fixture.store.takeBusFault(BusFaultKind.failConsumerOpen.rawValue, pod: "pod-2") == false)
        #expect(try await fixture.store.takeBusFault(BusFaultKind.failConsumerOpen.rawValue, pod: "pod-1"))
        #expect(try await fixture.store.takeBusFault(BusFaultKind.failConsumerOpen.rawValue, pod: "pod-1"))
        #expect(try await fixture.store.takeBusFault(BusFaultKind.failConsumerOpen.rawValue, pod: "pod-1") == false)
    }

    @Test func aBusRestartForgetsOnlyTheIdsNoLongerStored() async throws {
        let fixture = try await HostedStoreFixture()
        let a = try await fixture.thread("a")
        let b = try await fixture.thread("b")
        #expect(try await fixture.publish(a, fence: "f", seqs: 1...2) == [true, true])
        try await fixture.store.purgeSubject(threadId: a)
        #expect(try await fixture.publish(b, fence: "g", seqs: 1...1) == [true])
        try await fixture.store.restartBus()
        #expect(try await fixture.publish(a, fence: "f", seqs: 1...2) == [true, true], "purged ids are forgotten")
        #expect(try await fixture.publish(b, fence: "g", seqs: 1...1) == [false], "a stored id is still a duplicate")
    }

    @Test func aPurgeHidesTheLogFromNewConsumersButNotFromOnesAlreadyReading() async throws {
        let fixture = try await HostedStoreFixture()
        let a = try await fixture.thread("a")
        let reading = try await fixture.store.lastSubjectID(threadId: a)
        #expect(try await fixture.publish(a, fence: "f", seqs: 1...2) == [true, true])
        try await fixture.store.purgeSubject(threadId: a)
        #expect(try await fixture.publish(a, fence: "g", seqs: 1...1) == [true])
        #expect(try await fixture.store.subjectMessages(threadId: a, afterID: reading).map(\.body) == ["chunk-1", "chunk-2", "chunk-1"],
            "a consumer that attached before the purge still gets what was published after it attached")
        #expect(try await fixture.bodies(a) == ["chunk-1"], "a consumer created now starts after the purge")
        #expect(try await fixture.store.subjectPurgePoint(threadId: a) > reading)

        fixture.clock.advance(by: 60_001)
        try await fixture.store.purgeSubject(threadId: a)
        #expect(try await fixture.store.subjectMessages(threadId: a, afterID: reading).isEmpty, "purged messages are deleted a minute later")
    }

    @Test func unfencedFramesAreNeverDeduplicated() async throws {
        let fixture = try await HostedStoreFixture()
        let a = try await fixture.thread("a")
        let frame = SubjectPublish(body: "stage")
        #expect(try await fixture.store.publish([frame, frame], threadId: a, pod: "pod-1", dedupWindowMillis: 20_000) == [true, true])
    }

    @Test func recoveryAndHandOffPutPendingWorkflowsBackInTheQueue() async throws {
        let fixture = try await HostedStoreFixture()
        let a = try await fixture.thread("a")
        try await fixture.post("a1", on: a)
        let (gate, fence) = try await fixture.dispatchNext(on: "pod-1", fence: "f")
        let child = try #require(try await fixture.store.dequeue(kind: .child, executor: "pod-1"))
        #expect(try await fixture.store.executorsWithPendingWorkflows() == ["pod-1"])

        let handed = try await fixture.store.requeueWorkflows(executor: "pod-1", kinds: [.gate])
        #expect(handed.map(\.id) == [gate.id], "SIGTERM hands gates back, children stay PENDING")
        #expect(try await fixture.store.workflow(id: child.id)?.status == .pending)
        #expect(try await fixture.store.finishWorkflow(id: gate.id, executor: "pod-1", status: .success) == false)

        let recovered = try await fixture.store.requeueWorkflows(executor: "pod-1")
        #expect(recovered.map(\.id) == [Store.WorkflowID.child(threadId: a, fence: fence)])
        #expect(try await fixture.store.executorsWithPendingWorkflows().isEmpty)
        let retaken = try #require(try await fixture.store.dequeue(kind: .child, executor: "pod-2"))
        #expect(retaken.recoveries == 1 && retaken.fence == fence)
    }

    @Test func cancelStopsTheHeadGateAndTheCurrentChild() async throws {
        let fixture = try await HostedStoreFixture()
        let a = try await fixture.thread("a")
        try await fixture.post("a1", on: a)
        try await fixture.post("a2", on: a)
        let (gate, fence) = try await fixture.dispatchNext(on: "pod-1", fence: "f")
        try await fixture.store.cancelWorkflows(threadId: a, fence: fence)
        #expect(try await fixture.store.workflow(id: gate.id)?.status == .cancelled)
        #expect(try await fixture.store.workflow(id: Store.WorkflowID.child(threadId: a, fence: fence))?.status == .cancelled)
        #expect(try await fixture.store.dequeue(kind: .gate, executor: "pod-2")?.messageId == "a2", "the partition slot frees")
    }

    @Test func terminalWritesAreGuardedAndTheGhostIsFenceScoped() async throws {
        let fixture = try await HostedStoreFixture()
        let a = try await fixture.thread("a")
        try await fixture.post("a1", on: a)
        _ = try await fixture.dispatchNext(on: "pod-1", fence: "f1")
        try await fixture.store.markRunStarted(threadId: a)

        #expect(try await fixture.store.markRunFailed(threadId: a, kind: nil, reason: nil, fence: "stale") == false)
        #expect(try await fixture.store.thread(id: a)?.status == .inProgress)
        #expect(try await fixture.store.markRunFailed(threadId: a, kind: "overloaded", reason: "rate limited"))
        #expect(try await fixture.store.settleRun(threadId: a, status: .completed) == false, "the first writer wins")
        #expect(try await fixture.store.markRunFailed(threadId: a, kind: "liveness", reason: "late") == false)
        let failed = try #require(try await fixture.store.thread(id: a))
        #expect(failed.status == .failed && failed.hosted.failureKind == "overloaded" && failed.hosted.failureReason == "rate limited")

        try await fixture.store.markRunStarted(threadId: a)
        let restarted = try #require(try await fixture.store.thread(id: a))
        #expect(restarted.status == .inProgress && restarted.hosted.failureKind == nil && restarted.hosted.lastProgressAt == nil)
        #expect(try await fixture.store.markRunFailed(threadId: a, kind: nil, reason: nil, fence: "f1"), "the ghost fails its own turn")
        let ghosted = try #require(try await fixture.store.thread(id: a))
        #expect(ghosted.status == .failed && ghosted.hosted.failureKind == nil)
    }

    @Test func keyedPartsInsertOnceAndTheFinalWriteReplaces() async throws {
        let fixture = try await HostedStoreFixture()
        let a = try await fixture.thread("a")
        try await fixture.post("a1", on: a)
        #expect(try await fixture.store.lastPartCreatedAt(threadId: a, messageId: "a1") == fixture.clock.now)
        func part(_ seq: Int, _ type: String = "text", body: String = "{}") -> MessagePart {
            MessagePart(
                threadId: a, runId: nil, role: "assistant", type: type, body: body, pod: "pod-1", createdAt: 100 + Int64(seq),
                key: "\(a):asst:\(seq)", messageId: "asst")
        }
        try await fixture.store.appendKeyedParts([part(0, body: "first")])
        try await fixture.store.appendKeyedParts([part(0, body: "again"), part(1)])
        let stepParts = try await fixture.store.parts(threadId: a).filter { $0.messageId == "asst" }
        #expect(stepParts.map(\.body) == ["first", "{}"], "a re-projected step converges on its keys")

        try await fixture.store.replaceMessageParts(threadId: a, messageId: "asst", with: [part(0, body: "final"), part(1, "finish")])
        let final = try await fixture.store.parts(threadId: a).filter { $0.messageId == "asst" }
        #expect(final.map(\.body) == ["final", "{}"] && final.map(\.createdAt) == [100, 101])
        #expect(try await fixture.store.threadSummary(id: a)?.renderablePartCount == 1)
        #expect(try await fixture.store.parts(threadId: a).filter { $0.messageId == "a1" }.count == 2, "the user's parts stay")

        try await fixture.store.deleteMessageParts(threadId: a, messageId: "asst")
        #expect(try await fixture.store.threadSummary(id: a)?.renderablePartCount == 0)
    }

    @Test func theWaitingFrameIsPublishedOnlyWhenNoRunIsInProgress() async throws {
        let fixture = try await HostedStoreFixture()
        let a = try await fixture.thread("a")
        #expect(try await fixture.post("a1", on: a).publishedWaitingFrame)
        _ = try await fixture.dispatchNext(on: "pod-1", fence: "f")
        #expect(try await fixture.post("a2", on: a).publishedWaitingFrame == false)
        let thread = try #require(try await fixture.store.thread(id: a))
        #expect(thread.hosted.harnessId == "decopilot" && thread.hosted.messageStorageVersion == 2 && thread.hosted.branch == "ephemeral")
        #expect(try await fixture.store.turnMessages(threadId: a, upTo: "a2").map(\.id) == ["a1", "a2"])
        #expect(try await fixture.store.turnMessages(threadId: a, upTo: "a1").map(\.id) == ["a1"])
    }

    @Test func theRunOwnerClaimIsHeldUntilItsPodGivesItBack() async throws {
        let fixture = try await HostedStoreFixture()
        let a = try await fixture.thread("a")
        #expect(try await fixture.store.claimRunOwner(threadId: a, pod: "pod-1") == nil)
        #expect(try await fixture.store.claimRunOwner(threadId: a, pod: "pod-1") == nil, "the owner claims again (a same-name restart)")
        #expect(try await fixture.store.claimRunOwner(threadId: a, pod: "pod-2") == "pod-1")
        try await fixture.store.releaseRunOwner(threadId: a, pod: "pod-2")
        #expect(try await fixture.store.thread(id: a)?.runOwnerPod == "pod-1", "only the holder gives the claim back")
        try await fixture.store.releaseRunOwner(threadId: a, pod: "pod-1")
        #expect(try await fixture.store.claimRunOwner(threadId: a, pod: "pod-2") == nil)
    }

    @Test func anUnguardedFailureWriteFailsASettledRun() async throws {
        let fixture = try await HostedStoreFixture()
        let a = try await fixture.thread("a")
        try await fixture.post("a1", on: a)
        _ = try await fixture.dispatchNext(on: "pod-1", fence: "f1")
        #expect(try await fixture.store.settleRun(threadId: a, status: .completed))
        #expect(try await !fixture.store.markRunFailed(threadId: a, kind: "liveness", reason: "late"))
        #expect(try await fixture.store.markRunFailed(threadId: a, kind: "liveness", reason: "late", onlyInProgress: false))
        #expect(try await fixture.store.thread(id: a)?.status == .failed)
    }
}
