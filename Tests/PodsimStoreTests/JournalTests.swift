import Foundation
import PodsimModel
import PodsimStore
import Testing

/// The history journal: each store change writes its rows, with the writing process's name.
@Suite struct JournalTests {
    @Test func aSeedRunJournalsItsLifeInOrder() async throws {
        let fixture = try await StoreFixture(journal: "pod-1")
        let runId = try #require(try await fixture.enqueue(messageId: "m1").run.id)
        let first = try #require(try await fixture.store.claimRun(pod: "pod-1", leaseMillis: -1))
        try await fixture.append(first, seqs: 1...2, pod: "pod-1")
        let second = try #require(try await fixture.store.claimRun(pod: "pod-1", leaseMillis: 10_000))
        try await fixture.append(second, seqs: 1...1, pod: "pod-1")
        try await fixture.store.finishRun(runId: runId, attempt: 2, pod: "pod-1") { chunks in
            Store.Projection(state: .completed, error: nil, parts: chunks.map {
                MessagePart(threadId: $0.threadId, runId: $0.runId, role: "assistant", type: "text", body: $0.body, pod: "pod-1", createdAt: 0)
            })
        }

        let journal = try await fixture.store.journal()
        #expect(journal.map(\.kind) == [
            .runEnqueued, .runClaimed, .chunkAppended, .chunkAppended, .runReclaimed, .logPurged, .chunkAppended, .partsProjected, .runFinished,
        ])
        let run = String(runId)
        #expect(journal.allSatisfy { $0.pod == "pod-1" && $0.threadId == fixture.threadId && $0.run == run })
        #expect(journal.map(\.at) == journal.map(\.at).sorted())
        #expect(journal[0].messageId == "m1")
        #expect(journal[1].attempt == 1)
        #expect(journal[3].chunkId == "\(runId):1:2")
        #expect(journal[3].seq == 2)
        #expect(journal[3].chunkType == "text-delta")
        #expect(journal[3].delta == "chunk-2 ")
        #expect(journal[3].body == #"{"type":"text-delta","id":"t","delta":"chunk-2 "}"#)
        #expect(journal[4].attempt == 2)
        #expect(journal[5].attempt == 1, "the purged log is the dead attempt's")
        #expect(journal[6].chunkId == "\(runId):2:1")
        #expect(journal[7].count == 1)
        #expect(journal[8].state == "completed")
        #expect(journal[8].attempt == 2)
        #expect(try await fixture.store.journal(afterID: journal[7].id).map(\.kind) == [.runFinished])
    }

    @Test func partsProjectedCarryThePartsWritten() async throws {
        let fixture = try await StoreFixture(journal: "pod-2")
        let runId = try #require(try await fixture.enqueue().run.id)
        try await fixture.store.insertParts([
            MessagePart(threadId: fixture.threadId, runId: runId, role: "assistant", type: "text", body: "hello", pod: "pod-2", createdAt: 0)
        ])
        let projected = try #require(try await fixture.store.journal().last)
        #expect(projected.kind == .partsProjected)
        #expect(projected.count == 1)
        #expect(projected.state == nil)
        let body = try #require(projected.body)
        let parts = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]])
        #expect(parts.count == 1)
        #expect(parts[0]["role"] as? String == "assistant")
        #expect(parts[0]["body"] as? String == "hello")
    }

    @Test func aHostedPublishTheWindowDropsIsJournaledAsDropped() async throws {
        let fixture = try await HostedStoreFixture(journal: "pod-1")
        let threadId = try await fixture.thread("a")
        try await fixture.post("m1", on: threadId)
        _ = try await fixture.dispatchNext(on: "pod-1", fence: "f")
        _ = try #require(try await fixture.store.dequeue(kind: .child, executor: "pod-1"))
        #expect(try await fixture.publish(threadId, fence: "f", seqs: 1...1) == [true])
        #expect(try await fixture.publish(threadId, fence: "f", seqs: 1...1) == [false])

        let journal = try await fixture.store.journal()
        #expect(journal.map(\.kind) == [
            .chunkAppended, .runEnqueued, .workflowEnqueued, .workflowStarted, .chunkAppended, .workflowEnqueued, .workflowStarted, .runClaimed,
            .chunkAppended, .chunkDropped,
        ])
        let claimed = journal[7]
        #expect(claimed.run == "f")
        #expect(claimed.attempt == 1)
        #expect(claimed.messageId == "m1")
        let dropped = journal[9]
        #expect(dropped.chunkId == "\(threadId):f:1")
        #expect(dropped.run == "f")
        #expect(dropped.attempt == 1)
        #expect(dropped.seq == 1)
        #expect(dropped.body == "chunk-1")
    }

    @Test func aHostedTurnIsReleasedAndFinishedUnderItsFence() async throws {
        let fixture = try await HostedStoreFixture(journal: "pod-3")
        let threadId = try await fixture.thread("b")
        try await fixture.post("m1", on: threadId)
        _ = try await fixture.dispatchNext(on: "pod-3", fence: "f")
        _ = try #require(try await fixture.store.dequeue(kind: .child, executor: "pod-3"))
        let afterStart = try #require(try await fixture.store.journal().last).id
        try await fixture.store.requeueWorkflows(executor: "pod-3", kinds: [.gate])
        #expect(try await fixture.store.settleRun(threadId: threadId, status: .completed))

        let journal = try await fixture.store.journal(afterID: afterStart)
        #expect(journal.map(\.kind) == [.workflowEnqueued, .runReleased, .runFinished])
        #expect(journal[0].workflow == "gate")
        #expect(journal[0].attempt == 2, "a requeued workflow's next attempt")
        for entry in journal.dropFirst() {
            #expect(entry.run == "f")
            #expect(entry.messageId == "m1")
            #expect(entry.attempt == 1)
            #expect(entry.pod == "pod-3")
        }
        #expect(journal[2].state == "completed")
    }

    @Test func aStoreOpenedWithoutAJournalNameWritesNoRows() async throws {
        let fixture = try await StoreFixture()
        try await fixture.enqueue()
        let claim = try #require(try await fixture.store.claimRun(pod: "pod-1", leaseMillis: 10_000))
        try await fixture.append(claim, seqs: 1...3, pod: "pod-1")
        #expect(try await fixture.store.journal().isEmpty)
    }
}
