import AsyncHTTPClient
import Foundation
import PodsimModel
@testable import PodsimPod
import PodsimStore
import Testing

/// The projector on a fresh store file: one dispatched turn (fence `f`) whose subject the test
/// writes by hand before the consume step reads it.
struct ProjectorFixture {
    let store: Store
    let context: PodContext
    let socket: ChangeSignalSocket
    let gate: Workflow
    let threadId: String
    let directory: String
    let fence = "f"

    init(idleTimeoutMillis: Int64 = 1000, bugs: Set<BugSwitch> = []) async throws {
        directory = FileManager.default.temporaryDirectory.path + "/podsim-projector-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/store.sqlite"
        store = try await Store.create(at: path, clock: wallClockMillis)
        socket = try ChangeSignalSocket()
        let configuration = PodConfiguration(
            name: "pod-test", profile: .hosted, port: 0, storePath: path, providerURL: "http://127.0.0.1:9", bugs: bugs,
            hosted: HostedSettings(idleTimeoutMillis: idleTimeoutMillis))
        context = PodContext(
            configuration: configuration, store: store, bus: SignalBus(store: store, socket: socket),
            provider: ProviderClient(baseURL: configuration.providerURL, http: .shared, podName: configuration.name),
            sandboxes: Sandboxes(store: store, http: .shared, podName: configuration.name, dockerAvailable: false))
        let org = try await store.createOrg(name: "Acme", slug: nil)
        let agent = try await store.createAgent(orgId: org.org.id, title: "helper")
        guard case .created(let thread) = try await store.createThread(id: "t", orgId: org.org.id, agentId: agent.id) else {
            throw SupportError.threadNotCreated
        }
        threadId = thread.id
        let userPart = MessagePart(
            threadId: threadId, runId: nil, role: "user", type: "text", body: #"{"text":"hi"}"#, pod: "pod-test", createdAt: 0,
            key: "\(threadId):m1:0", messageId: "m1")
        _ = try await store.acceptHostedTurn(
            Store.HostedTurn(
                message: ChatMessage(id: "m1", threadId: threadId, role: "user", text: "hi", createdAt: wallClockMillis()), orgId: org.org.id,
                userId: org.user.id, userParts: [userPart], branch: nil, priority: 10, waitingFrame: HostedFrames.waitingRunner, pod: "pod-test"))
        gate = try #require(try await store.dequeue(kind: .gate, executor: "pod-test"))
        _ = try await store.dispatchTurn(gateId: gate.id, executor: "pod-test", fence: fence, startingFrame: HostedFrames.stage(.startingRun))
    }

    enum SupportError: Error { case threadNotCreated }

    func close() {
        socket.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Publishes fenced chunks at explicit seqs (of `fence`, unless told otherwise).
    func publish(_ chunks: [(seq: Int, chunk: UIChunk)], fence: String? = nil) async throws {
        let fence = fence ?? self.fence
        try await context.publish(try chunks.map {
            SubjectPublish(msgId: HostedFrames.chunkID(threadId: threadId, fence: fence, seq: $0.seq), fence: fence, seq: $0.seq, body: try $0.chunk.storedBody())
        }, threadId: threadId)
    }

    func publishDone(msgIdFinalSeq: Int, bodyFinalSeq: Int? = nil) async throws {
        try await context.publish([
            SubjectPublish(
                msgId: HostedFrames.doneID(threadId: threadId, fence: fence, finalSeq: msgIdFinalSeq), fence: fence,
                body: HostedFrames.done(finalSeq: bodyFinalSeq ?? msgIdFinalSeq))
        ], threadId: threadId)
    }

    static let reply: [UIChunk] = [
        .start(messageId: "asst-f"), .startStep, .textStart(id: "x"), .textDelta(id: "x", delta: "chunk-1 "),
        .textDelta(id: "x", delta: "chunk-2 "), .textEnd(id: "x"), .finishStep, .finish,
    ]

    static func numbered(_ chunks: [UIChunk], from first: Int = 1) -> [(seq: Int, chunk: UIChunk)] {
        chunks.enumerated().map { (first + $0.offset, $0.element) }
    }

    func consume() async throws {
        try await RunProjector(gate: gate, fence: fence, context: context, wakeups: SubjectWakeups()).consume()
    }

    func thread() async throws -> ChatThread { try #require(try await store.thread(id: threadId)) }

    func assistantParts() async throws -> [MessagePart] {
        try await store.parts(threadId: threadId).filter { $0.role == "assistant" }
    }

    func subjectIsEmpty() async throws -> Bool { try await store.retainedSubjectMessages(threadId: threadId).isEmpty }
}

@Suite struct HostedProjectorTests {
    @Test func aCleanRunIsProjectedSettledAndPurged() async throws {
        let fixture = try await ProjectorFixture()
        defer { fixture.close() }
        try await fixture.context.publish(stage: .analyzingScope, threadId: fixture.threadId)
        try await fixture.publish([(1, .start(messageId: "asst-f")), (2, .startStep)], fence: "other")
        try await fixture.publish(ProjectorFixture.numbered(Array(ProjectorFixture.reply[0..<3])))
        try await fixture.publish([(2, .startStep)])
        try await fixture.publish(ProjectorFixture.numbered(Array(ProjectorFixture.reply[3...]), from: 4))
        try await fixture.publishDone(msgIdFinalSeq: 8)
        try await fixture.consume()

        let thread = try await fixture.thread()
        #expect(thread.status == .completed && thread.hosted.lastProgressAt != nil)
        let parts = try await fixture.assistantParts()
        #expect(parts.map(\.type) == ["text", "finish"])
        #expect(parts.map(\.key) == ["t:asst-f:0", "t:asst-f:1"])
        #expect(parts.first?.body == #"{"text":"chunk-1 chunk-2 "}"#)
        let userLast = try #require(try await fixture.store.lastPartCreatedAt(threadId: fixture.threadId, messageId: "m1"))
        #expect(parts.map(\.createdAt) == [userLast + 1, userLast + 2], "the reply is anchored right after its user message")
        #expect(try await fixture.subjectIsEmpty())
    }

    @Test func aGapFailsTheRunProjection() async throws {
        let fixture = try await ProjectorFixture()
        defer { fixture.close() }
        try await fixture.publish([(1, .start(messageId: "asst-f")), (2, .startStep), (4, .finishStep)])
        try await fixture.consume()
        let thread = try await fixture.thread()
        #expect(thread.status == .failed && thread.hosted.failureKind == "projection")
        #expect(thread.hosted.failureReason == "stream truncated before projection could replay it: missing seq 3 (next delivered is 4)")
        #expect(try await fixture.assistantParts().map(\.body) == [#"{"errorText":"Error: missing seq 3 (next delivered is 4)"}"#])
        #expect(try await fixture.subjectIsEmpty())
    }

    @Test func aDoneBeyondTheLastSeqIsAGap() async throws {
        let fixture = try await ProjectorFixture()
        defer { fixture.close() }
        try await fixture.publish(ProjectorFixture.numbered([.start(messageId: "asst-f"), .startStep]))
        try await fixture.publishDone(msgIdFinalSeq: 3)
        try await fixture.consume()
        #expect(try await fixture.thread().hosted.failureReason
            == "stream truncated before projection could replay it: missing seq 3 (stream ended at the fenced done)")
    }

    @Test func aGapAfterTheRunSettledIsBenign() async throws {
        let fixture = try await ProjectorFixture()
        defer { fixture.close() }
        try await fixture.store.settleRun(threadId: fixture.threadId, status: .completed)
        try await fixture.publish([(2, .startStep)])
        try await fixture.consume()
        #expect(try await fixture.thread().status == .completed)
        #expect(try await fixture.assistantParts().isEmpty)
        #expect(try await fixture.subjectIsEmpty())
    }

    @Test func silenceFailsTheRunLivenessWithoutAPurge() async throws {
        let fixture = try await ProjectorFixture(idleTimeoutMillis: 800)
        defer { fixture.close() }
        try await fixture.publish(ProjectorFixture.numbered([.start(messageId: "asst-f")]))
        try await fixture.publishDone(msgIdFinalSeq: 1, bodyFinalSeq: 2)
        await #expect(throws: RunProjector.LivenessFailure.self) { try await fixture.consume() }
        let thread = try await fixture.thread()
        #expect(thread.status == .failed && thread.hosted.failureKind == "liveness")
        #expect(thread.hosted.failureReason == "liveness: no stream events for 1s")
        #expect(try await !fixture.subjectIsEmpty(), "a done whose body disagrees with its id is ignored, and liveness keeps the log")
    }

    @Test func anInBandErrorFailsTheRunAsHarness() async throws {
        let fixture = try await ProjectorFixture()
        defer { fixture.close() }
        try await fixture.publish(ProjectorFixture.numbered([.start(messageId: "asst-f"), .error(errorText: "provider returned 500: boom")]))
        try await fixture.publishDone(msgIdFinalSeq: 2)
        try await fixture.consume()
        let thread = try await fixture.thread()
        #expect(thread.status == .failed && thread.hosted.failureKind == "harness" && thread.hosted.failureReason == "harness reported an error")
        #expect(try await fixture.assistantParts().map(\.type) == ["error"])
        #expect(try await fixture.subjectIsEmpty())
    }

    @Test func aSupersededTurnIsNotProjected() async throws {
        let fixture = try await ProjectorFixture()
        defer { fixture.close() }
        try await fixture.publish(ProjectorFixture.numbered(ProjectorFixture.reply))
        try await fixture.publishDone(msgIdFinalSeq: 8)
        try await fixture.store.finishWorkflow(id: fixture.gate.id, executor: "pod-test", status: .error)
        let thread = try await fixture.thread()
        _ = try await fixture.store.acceptHostedTurn(
            Store.HostedTurn(
                message: ChatMessage(id: "m2", threadId: fixture.threadId, role: "user", text: "again", createdAt: wallClockMillis()),
                orgId: thread.orgId, userId: "u", userParts: [], branch: nil, priority: 10, waitingFrame: HostedFrames.waitingRunner, pod: "pod-test"))
        let next = try #require(try await fixture.store.dequeue(kind: .gate, executor: "pod-test"))
        _ = try await fixture.store.dispatchTurn(gateId: next.id, executor: "pod-test", fence: "newer", startingFrame: "starting")
        try await fixture.consume()
        #expect(try await fixture.thread().status == .inProgress)
        #expect(try await fixture.assistantParts().isEmpty)
        #expect(try await !fixture.subjectIsEmpty())
    }

    @Test(arguments: [false, true])
    func aRunSettledBeforeTheConsumeStepIsProjectedUnlessTheSwitchIsOn(switchOn: Bool) async throws {
        let fixture = try await ProjectorFixture(bugs: switchOn ? [.projectionSkippedWhenTerminal] : [])
        defer { fixture.close() }
        try await fixture.publish(ProjectorFixture.numbered(ProjectorFixture.reply))
        try await fixture.publishDone(msgIdFinalSeq: 8)
        try await fixture.store.settleRun(threadId: fixture.threadId, status: .completed)
        try await fixture.consume()
        #expect(try await fixture.thread().status == .completed)
        #expect(try await fixture.assistantParts().map(\.type) == (switchOn ? [] : ["text", "finish"]))
    }

    @Test(arguments: [false, true])
    func aGapAfterTheRunSettledIsFatalOnlyWithTheSwitch(switchOn: Bool) async throws {
        let fixture = try await ProjectorFixture(bugs: switchOn ? [.gapAfterDoneFatal] : [])
        defer { fixture.close() }
        try await fixture.store.settleRun(threadId: fixture.threadId, status: .completed)
        try await fixture.publish([(2, .startStep)])
        try await fixture.consume()
        let thread = try await fixture.thread()
        #expect(thread.status == (switchOn ? .failed : .completed))
        #expect(thread.hosted.failureKind == (switchOn ? "projection" : nil))
    }

    @Test func partIdsAreDeterministicUnlessTheProjectionCarriesItsAttempt() {
        func stepKeys(attempt: String?) -> [String] {
            var projection = Projection(threadId: "t", messageId: "asst-f", pod: "pod-test", attempt: attempt)
            for chunk in ProjectorFixture.reply.prefix(3) { _ = projection.apply(body: try! chunk.storedBody()) }
            return projection.apply(body: try! UIChunk.finishStep.storedBody())?.compactMap(\.key) ?? []
        }
        #expect(stepKeys(attempt: nil) == ["t:asst-f:0"] && stepKeys(attempt: nil) == stepKeys(attempt: nil))
        #expect(stepKeys(attempt: "a1") != stepKeys(attempt: "a2"))
    }

    @Test func aPostTimeFenceSupersedesTheRunningTurn() async throws {
        let fixture = try await ProjectorFixture()
        defer { fixture.close() }
        try await fixture.publish(ProjectorFixture.numbered(ProjectorFixture.reply))
        try await fixture.publishDone(msgIdFinalSeq: 8)
        let thread = try await fixture.thread()
        _ = try await fixture.store.acceptHostedTurn(
            Store.HostedTurn(
                message: ChatMessage(id: "m2", threadId: fixture.threadId, role: "user", text: "again", createdAt: wallClockMillis()),
                orgId: thread.orgId, userId: "u", userParts: [], branch: nil, priority: 10, waitingFrame: HostedFrames.waitingRunner,
                pod: "pod-test", postTimeFence: "posted"))
        #expect(try await fixture.thread().hosted.fence == "posted")
        try await fixture.consume()
        #expect(try await fixture.assistantParts().isEmpty, "the running turn sees itself superseded")
        try await fixture.store.finishWorkflow(id: fixture.gate.id, executor: "pod-test", status: .success)
        let next = try #require(try await fixture.store.dequeue(kind: .gate, executor: "pod-test"))
        let dispatch = try #require(
            try await fixture.store.dispatchTurn(gateId: next.id, executor: "pod-test", fence: "minted", startingFrame: "starting"))
        #expect(dispatch.fence == "posted" && dispatch.replayed, "the gate takes the POST's fence")
    }
}
