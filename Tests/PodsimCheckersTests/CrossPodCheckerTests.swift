import PodsimHistory
import Testing

@testable import PodsimCheckers

/// `cross-pod` on hand-written histories: watchers on different pods must get the same chunks.
@Suite struct CrossPodCheckerTests {
    private func check(_ script: HistoryScript) -> Verdict { CrossPodChecker().check(script.history, bounds: .init()) }

    /// Run r1 appended on pod-1, watched from pod-2 by `a` and from `bPod` by `b`.
    private func twoWatchers(bPod: String = "pod-3", bDelta: String? = nil) -> HistoryScript {
        var script = HistoryScript()
        script.attach("a", on: "pod-2", at: 0)
        script.attach("b", on: bPod, at: 1)
        script.append(1...8, from: 10)
        script.deliver(Array(1...8), to: "a", on: "pod-2", from: 12)
        script.deliver(Array(1...8), to: "b", on: bPod, from: 13, delta: bDelta)
        return script
    }

    @Test func sameChunksOnEveryPodPass() {
        #expect(check(twoWatchers()).validity == .pass)
    }

    @Test func aDifferentPayloadFailsAtItsPosition() throws {
        let script = twoWatchers(bDelta: "chunk-X ")
        let verdict = check(script)
        #expect(verdict.validity == .fail)
        let violation = try #require(verdict.violations.first)
        #expect(violation.message.contains("thread t1 run r1 attempt 1: the streams differ at chunk 4"))
        #expect(violation.message.contains("watcher a (pod-2) got seq 4 text-delta \"chunk-1 \" at 42.0 ms"))
        #expect(violation.message.contains("watcher b (pod-3) got seq 4 text-delta \"chunk-X \" at 43.0 ms"))
        #expect(violation.indices.map { script.history.events[$0].watcher } == ["a", "b"])
    }

    @Test func aShorterStreamFails() throws {
        var script = HistoryScript()
        script.attach("a", on: "pod-2", at: 0)
        script.attach("b", on: "pod-3", at: 1)
        script.append(1...8, from: 10)
        script.deliver([1, 2, 3, 4, 5, 6, 7, 8], to: "a", on: "pod-2", from: 12)
        script.deliver([1, 2, 3, 5, 6, 7, 8], to: "b", on: "pod-3", from: 13)
        let violation = try #require(check(script).violations.first)
        #expect(violation.message.contains("differ at chunk 4"))
        #expect(violation.message.contains("watcher b (pod-3) got seq 5"))
    }

    @Test func watchersOnOnePodAreNotCompared() {
        #expect(check(twoWatchers(bPod: "pod-2", bDelta: "chunk-X ")).validity == .pass)
    }

    @Test func aWatcherThatMissedTheLastChunkIsNotCompared() {
        var script = twoWatchers()
        script.attach("c", on: "pod-1", at: 2)
        script.deliver([1, 2], to: "c", on: "pod-1", from: 14)
        #expect(check(script).validity == .pass)
    }

    @Test func withoutTheStoreJournalItIsUnknown() {
        var script = HistoryScript()
        script.attach("a", on: "pod-2", at: 0)
        script.deliver(Array(1...8), to: "a", on: "pod-2", from: 12)
        #expect(check(script).validity == .unknown)
    }

    /// Hosted: the early watcher saw the first attempt and the recovery's; the late one only the
    /// recovery's. They are compared on the last epoch.
    @Test func hostedComparesTheEpochAfterTheRecovery() {
        var script = HistoryScript("hosted")
        script.attach("early", on: "pod-2", at: 0)
        script.append(1...3, run: "f1", from: 10)
        script.deliver(1...3, to: "early", on: "pod-2", run: "f1", from: 12)
        script.claim(run: "f1", attempt: 2, on: "pod-3", at: 400)
        script.attach("late", on: "pod-1", at: 405)
        script.append(1...8, run: "f1", attempt: 2, on: "pod-3", from: 410)
        script.deliver(1...8, to: "early", on: "pod-2", run: "f1", from: 412)
        script.deliver(1...8, to: "late", on: "pod-1", run: "f1", from: 413)
        #expect(check(script).validity == .pass)
    }

    @Test func hostedLateWatcherMissingTheRecoveredHeadFails() throws {
        var script = HistoryScript("hosted")
        script.attach("early", on: "pod-2", at: 0)
        script.append(1...3, run: "f1", from: 10)
        script.deliver(1...3, to: "early", on: "pod-2", run: "f1", from: 12)
        script.claim(run: "f1", attempt: 2, on: "pod-3", at: 400)
        script.append(1...8, run: "f1", attempt: 2, on: "pod-3", from: 410)
        script.deliver(1...8, to: "early", on: "pod-2", run: "f1", from: 412)
        script.attach("late", on: "pod-1", at: 430)
        script.deliver(4...8, to: "late", on: "pod-1", run: "f1", from: 440)
        let violation = try #require(check(script).violations.first)
        #expect(violation.message.contains("thread t1 run f1: the streams differ at chunk 1"))
    }
}
