import Foundation
import PodsimModel
import PodsimStore
import Testing

@testable import PodsimPod

/// A thread with a claimed run in a fresh store, and a way to log its chunks.
private struct RunningThread {
    let store: Store
    let threadId: String
    let claim: Store.ClaimedRun

    init() async throws {
        let directory = FileManager.default.temporaryDirectory.path + "/podsim-pod-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        store = try await Store.create(at: directory + "/store.sqlite", clock: wallClockMillis)
        let org = try await store.createOrg(name: "Acme", slug: nil)
        let agent = try await store.createAgent(orgId: org.org.id, title: "helper")
        guard case .created(let thread) = try await store.createThread(id: nil, orgId: org.org.id, agentId: agent.id) else {
            throw TestFailure("thread not created")
        }
        threadId = thread.id
        _ = try await store.enqueueRun(
            threadId: thread.id, orgId: org.org.id, userId: org.user.id,
            message: ChatMessage(id: "m", threadId: thread.id, role: "user", text: "hi", createdAt: 0), providerKind: "docker")
        guard let claim = try await store.claimRun(pod: "pod-1", leaseMillis: 60_000) else { throw TestFailure("nothing claimed") }
        self.claim = claim
    }

    func log(seq: Int) async throws {
        try await store.appendChunks(
            [.init(seq: seq, body: try UIChunk.textDelta(id: "t", delta: "\(seq)").storedBody())], threadId: threadId,
            runId: claim.runId, attempt: claim.attempt, pod: "pod-1")
    }
}

private struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// What one watcher saw: the replay a stream route sends first, then the feed's live chunks.
private actor Watcher {
    private(set) var seqs: [Int] = []

    func attach(to feeds: ChunkFeeds, _ thread: RunningThread) async throws -> ChunkFeeds.Subscription {
        let subscription = try await feeds.subscribe(threadId: thread.threadId)
        seqs += try await thread.store.replayOfRunningAttempt(threadId: thread.threadId, upToID: subscription.cursor).map(\.seq)
        return subscription
    }

    func received(_ chunks: [StoredChunk]) { seqs += chunks.map(\.seq) }
}

@Suite struct ChunkFeedsTests {
    @Test func theCursorSplitsReplayFromLiveChunks() async throws {
        let thread = try await RunningThread()
        for seq in 1...3 { try await thread.log(seq: seq) }
        let feeds = ChunkFeeds(store: thread.store, pod: "pod-1")
        let subscription = try await feeds.subscribe(threadId: thread.threadId)
        #expect(subscription.cursor == (try await thread.store.lastChunkID(threadId: thread.threadId)))
        #expect(try await thread.store.replayOfRunningAttempt(threadId: thread.threadId, upToID: subscription.cursor).map(\.seq) == [1, 2, 3])
        try await thread.log(seq: 4)
        await feeds.signal(threadId: thread.threadId)
        for await event in subscription.events {
            guard case .chunks(let chunks, _) = event else { continue }
            #expect(chunks.map(\.seq) == [4], "only what the replay did not cover")
            break
        }
        #expect(await feeds.watcherCount == 1)
        await feeds.unsubscribe(threadId: thread.threadId, id: subscription.id)
        #expect(await feeds.watcherCount == 0)
    }

    /// A pod's feed tells writers it tails the thread from before its cursor is read until its
    /// last watcher leaves: appends in between name the pod, so only watching pods are signalled.
    @Test func anOpenFeedMakesAppendsNameItsPod() async throws {
        let thread = try await RunningThread()
        func append(_ seq: Int) async throws -> [String] {
            try await thread.store.appendChunks(
                [.init(seq: seq, body: "{}")], threadId: thread.threadId, runId: thread.claim.runId, attempt: thread.claim.attempt, pod: "pod-1")
        }
        #expect(try await append(1) == [])
        let feeds = ChunkFeeds(store: thread.store, pod: "pod-2")
        let first = try await feeds.subscribe(threadId: thread.threadId)
        let second = try await feeds.subscribe(threadId: thread.threadId)
        #expect(try await append(2) == ["pod-2"])
        await feeds.unsubscribe(threadId: thread.threadId, id: first.id)
        #expect(try await append(3) == ["pod-2"], "one watcher is still there")
        await feeds.unsubscribe(threadId: thread.threadId, id: second.id)
        let deadline = ContinuousClock.now + .seconds(5)
        var seq = 4
        while try await append(seq) != [], ContinuousClock.now < deadline {
            seq += 1
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(try await append(seq + 1) == [], "the closed feed's record is gone")
    }

    /// Watchers attach while the run writes and signals: each sees every chunk exactly once,
    /// whether it came through the replay or the feed.
    @Test func watchersAttachingMidRunSeeEveryChunkOnce() async throws {
        let thread = try await RunningThread()
        let feeds = ChunkFeeds(store: thread.store, pod: "pod-1")
        let total = 120
        let watchers = (0..<12).map { _ in Watcher() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for seq in 1...total {
                    try await thread.log(seq: seq)
                    await feeds.signal(threadId: thread.threadId)
                    if seq % 10 == 0 { try await Task.sleep(for: .milliseconds(1)) }
                }
            }
            for (index, watcher) in watchers.enumerated() {
                group.addTask {
                    try await Task.sleep(for: .milliseconds(index * 3))
                    let subscription = try await watcher.attach(to: feeds, thread)
                    for await event in subscription.events {
                        if case .chunks(let chunks, _) = event { await watcher.received(chunks) }
                        if await watcher.seqs.last == total { break }
                    }
                }
            }
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline {
                var done = true
                for watcher in watchers where await watcher.seqs.last != total { done = false }
                if done { break }
                await feeds.tick()
                try await Task.sleep(for: .milliseconds(20))
            }
            await feeds.closeAll()
            try await group.waitForAll()
        }
        for watcher in watchers {
            #expect(await watcher.seqs == Array(1...total))
        }
    }

    @Test func closingEndsEveryStreamAndRefusesNewOnes() async throws {
        let thread = try await RunningThread()
        let feeds = ChunkFeeds(store: thread.store, pod: "pod-1")
        let open = try await feeds.subscribe(threadId: thread.threadId)
        await feeds.closeAll()
        var events = 0
        for await _ in open.events { events += 1 }
        #expect(events == 0)
        let late = try await feeds.subscribe(threadId: thread.threadId)
        for await _ in late.events { events += 1 }
        #expect(events == 0)
        #expect(await feeds.watcherCount == 0)
    }
}
