#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PodsimClient
import PodsimCluster
import PodsimModel
import PodsimStore
import Testing

/// A hosted cluster seen from a test: turns are accepted straight into the store (as the POST
/// route does), and everything else is read from the store the pods share.
struct HostedTestCluster: Sendable {
    let test: TestCluster
    let store: Store
    let account: Account
    let orgId: String

    var cluster: Cluster { test.cluster }

    /// Creates a thread through the account API; returns its store key.
    func thread() async throws -> String {
        let (publicId, _) = try await test.thread(for: account)
        return try #require(try await store.thread(orgId: orgId, publicId: publicId)).id
    }

    /// Accepts a user turn as an accepted POST does (parts, `waiting-runner`, the gate); the
    /// pods find the gate through their poll fallback.
    func post(_ text: String, on threadId: String) async throws {
        let messageId = "m-" + UUID().uuidString.prefix(8).lowercased()
        let now = wallClockMillis()
        let parts = [
            MessagePart(
                threadId: threadId, runId: nil, role: "user", type: "text", body: String(decoding: try JSONEncoder().encode(["text": text]), as: UTF8.self),
                pod: "pod-1", createdAt: 0, key: "\(threadId):\(messageId):0", messageId: messageId),
            MessagePart(
                threadId: threadId, runId: nil, role: "user", type: "finish", body: "{}", pod: "pod-1", createdAt: 0,
                key: "\(threadId):\(messageId):1", messageId: messageId),
        ]
        _ = try await store.acceptHostedTurn(
            Store.HostedTurn(
                message: ChatMessage(id: messageId, threadId: threadId, role: "user", text: text, createdAt: now), orgId: orgId,
                userId: account.userId, userParts: parts, branch: nil, priority: 10,
                waitingFrame: #"{"type":"data-run-status","id":"run-status","data":{"stage":"waiting-runner"}}"#, pod: "pod-1"))
    }

    func workflows(_ threadId: String, kind: WorkflowKind) async throws -> [[String: String?]] {
        try await store.query("SELECT * FROM workflow WHERE threadId = ? AND kind = ? ORDER BY createdAt", arguments: [threadId, kind.rawValue])
    }

    /// The current turn's child row (status, executor), once the gate started it.
    func child(_ threadId: String) async throws -> (status: String, executor: String?)? {
        guard let row = try await workflows(threadId, kind: .child).last, let status = row["status"] ?? nil else { return nil }
        return (status, row["executor"] ?? nil)
    }

    func thread(_ id: String) async throws -> ChatThread { try #require(try await store.thread(id: id)) }

    /// Polls until `condition` holds, or fails with `what` after `timeout`.
    func wait(_ what: String, timeout: Duration = .seconds(15), _ condition: () async throws -> Bool) async throws {
        guard try await eventually(timeout: timeout, every: .milliseconds(50), condition) else { throw SupportError("timed out waiting for \(what)") }
    }

    /// The thread's fenced message ids on its subject.
    func fencedIDs(_ threadId: String) async throws -> [String] {
        try await store.retainedSubjectMessages(threadId: threadId).compactMap(\.msgId)
    }

    func subjectBodies(_ threadId: String) async throws -> [String] {
        try await store.retainedSubjectMessages(threadId: threadId).map(\.body)
    }
}

/// Sends one change-signal datagram (`encoded` as the pods' bus writes it) to every registered
/// pod: what a cancel route on another pod broadcasts.
func broadcastSignal(_ encoded: String, store: Store) async throws {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    guard fd >= 0 else { throw SupportError("socket failed") }
    defer { close(fd) }
    let payload = Array(encoded.utf8)
    for endpoint in try await store.podEndpoints() {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(endpoint.signalPort).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = payload.withUnsafeBytes { bytes in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }
}

/// Boots a real hosted cluster with short knobs, one account on pod-1 and an open store.
func withHostedCluster(
    pods: Int, hosted: HostedSettings, _ body: (HostedTestCluster) async throws -> Void
) async throws {
    let spec = ClusterSpec(
        pods: pods, timings: PodTimings(pollMillis: 50, drainMillis: 500), profile: .hosted, hosted: hosted, executable: try podsimBinary())
    let cluster = try await Cluster.boot(spec)
    let test = TestCluster(cluster: cluster, pods: await cluster.podURLs, mockAI: await cluster.mockAIURL)
    do {
        let store = try await Store.open(at: cluster.storePath, clock: wallClockMillis)
        let account = try await test.bootstrap()
        let orgId = try #require(try await store.org(idOrSlug: account.orgSlug)).id
        try await body(HostedTestCluster(test: test, store: store, account: account, orgId: orgId))
        await cluster.shutdown()
        try? FileManager.default.removeItem(atPath: cluster.stateDirectory)
    } catch {
        await cluster.shutdown()
        print("kept the failed test's cluster state in \(cluster.stateDirectory)")
        throw error
    }
}

@Suite struct HostedExecutionTests {
    @Test func aTurnRunsThroughGateChildAndProjector() async throws {
        try await withHostedCluster(pods: 2, hosted: HostedSettings(idleTimeoutMillis: 5000)) { hosted in
            let threadId = try await hosted.thread()
            try await hosted.post("slow:8x150", on: threadId)
            try await hosted.wait("in_progress") { try await hosted.thread(threadId).status == .inProgress }
            let fence = try #require(try await hosted.thread(threadId).hosted.fence)
            let pattern = try Regex("^\(NSRegularExpression.escapedPattern(for: threadId)):\(fence):[0-9]+$")
            try await hosted.wait("fenced chunks on the subject") {
                try await hosted.fencedIDs(threadId).contains { $0.wholeMatch(of: pattern) != nil }
            }
            let ids = try await hosted.fencedIDs(threadId)
            #expect(ids.allSatisfy { $0.hasPrefix("\(threadId):\(fence):") }, "every fenced id carries the turn's fence: \(ids)")
            try await hosted.wait("completed") { try await hosted.thread(threadId).status == .completed }
            try await hosted.wait("the gate ended") { try await hosted.workflows(threadId, kind: .gate).last?["status"] == "SUCCESS" }

            let summary = try #require(try await hosted.store.threadSummary(id: threadId))
            #expect(summary.renderablePartCount > 0)
            #expect(summary.thread.hosted.failureKind == nil)
            #expect(try await hosted.workflows(threadId, kind: .child).map { $0["status"] ?? nil } == ["SUCCESS"])
            #expect(try await hosted.subjectBodies(threadId).isEmpty, "a clean finish purges the subject")
            let text = try await hosted.store.parts(threadId: threadId).filter { $0.role == "assistant" && $0.type == "text" }.map(\.body)
            #expect(text.count == 1 && text[0].contains("chunk-8"), "the reply is projected whole: \(text)")
        }
    }

    @Test func aProviderFailureIsClassifiedAndProjectedAsAnError() async throws {
        try await withHostedCluster(pods: 1, hosted: HostedSettings()) { hosted in
            let threadId = try await hosted.thread()
            try await hosted.post("fail:429", on: threadId)
            try await hosted.wait("failed") { try await hosted.thread(threadId).status == .failed }
            let thread = try await hosted.thread(threadId)
            #expect(thread.hosted.failureKind == "overloaded")
            #expect(thread.hosted.failureReason == "Run stopped: the model provider was overloaded or rate-limited")
            try await hosted.wait("the synthesized error part") {
                try await hosted.store.parts(threadId: threadId).contains { $0.role == "assistant" && $0.type == "error" }
            }
            try await hosted.wait("the gate ended") { try await hosted.workflows(threadId, kind: .gate).last?["status"] == "SUCCESS" }
            #expect(try await hosted.workflows(threadId, kind: .child).last?["status"] == "SUCCESS")
        }
    }

    @Test func aCancelSignalAbortsTheChildWhereItRuns() async throws {
        try await withHostedCluster(pods: 2, hosted: HostedSettings()) { hosted in
            let threadId = try await hosted.thread()
            try await hosted.post("slow:40x100", on: threadId)
            try await hosted.wait("chunks") { try await hosted.fencedIDs(threadId).count >= 3 }
            let fence = try #require(try await hosted.thread(threadId).hosted.fence)
            try await hosted.store.requestHostedCancel(threadId: threadId)
            try await hosted.store.cancelWorkflows(threadId: threadId, fence: fence)
            try await broadcastSignal("k\t\(threadId)", store: hosted.store)
            try await hosted.wait("failed") { try await hosted.thread(threadId).status == .failed }
            let thread = try await hosted.thread(threadId)
            #expect(thread.hosted.failureKind == "cancelled" && thread.hosted.failureReason == "Run cancelled before it finished")
            try await hosted.wait("the projector saw the abort and purged") { try await hosted.subjectBodies(threadId).isEmpty }
            #expect(try await hosted.workflows(threadId, kind: .child).last?["status"] == "CANCELLED")
        }
    }

    /// Gate on pod-1, child on pod-2: with a run cap of 1, pod-1 is saturated by a held turn
    /// while pod-2 is stopped, so the child waits in the queue until pod-2 starts.
    private func splitPlacement(_ hosted: HostedTestCluster, text: String) async throws -> String {
        let busy = try await hosted.thread()
        let threadId = try await hosted.thread()
        let hold = "h" + UUID().uuidString.prefix(8).lowercased()
        try await hosted.cluster.stop("pod-2")
        try await hosted.post("hold:\(hold)", on: busy)
        try await hosted.wait("the held child on pod-1") { try await hosted.child(busy)?.status == "PENDING" }
        try await hosted.post(text, on: threadId)
        try await hosted.wait("the gate on pod-1 and its child queued") { try await hosted.child(threadId)?.status == "ENQUEUED" }
        try await hosted.cluster.start("pod-2")
        try await hosted.wait("the child on pod-2") {
            guard let child = try await hosted.child(threadId) else { return false }
            return child.status == "PENDING" && child.executor == "pod-2"
        }
        #expect(try await hosted.store.threadSummary(id: threadId)?.gatePod == "pod-1")
        try await hosted.test.release(gate: hold)
        try await hosted.wait("the held turn completed") { try await hosted.thread(busy).status == .completed }
        try await hosted.wait("chunks from pod-2") { try await hosted.fencedIDs(threadId).count >= 3 }
        return threadId
    }

    @Test func aKilledChildWaitsForItsPodToComeBack() async throws {
        try await withHostedCluster(pods: 2, hosted: HostedSettings(idleTimeoutMillis: 10_000, runCap: 1)) { hosted in
            let threadId = try await splitPlacement(hosted, text: "slow:30x100")
            let executor = try #require(try await hosted.store.threadSummary(id: threadId)?.executorPod)
            #expect(executor == "pod-2")
            try await hosted.cluster.kill(executor)
            try await expectStable(for: .seconds(1.5), "pod-2") { try await hosted.child(threadId)?.executor ?? "none" }
            #expect(try await hosted.thread(threadId).status == .inProgress)
            try await hosted.cluster.start(executor)
            try await hosted.wait("completed after the restart", timeout: .seconds(20)) { try await hosted.thread(threadId).status == .completed }
            try await hosted.wait("the child ended") { try await hosted.child(threadId)?.status == "SUCCESS" }
            #expect(try await hosted.workflows(threadId, kind: .child).last?["recoveries"] == "1")
            #expect(try await hosted.store.threadSummary(id: threadId)?.renderablePartCount ?? 0 > 0)
        }
    }

    @Test func aChildNobodyRecoversFailsLiveness() async throws {
        try await withHostedCluster(pods: 2, hosted: HostedSettings(idleTimeoutMillis: 3000, runCap: 1)) { hosted in
            let threadId = try await splitPlacement(hosted, text: "slow:30x100")
            try await hosted.cluster.kill("pod-2")
            try await hosted.wait("failed") { try await hosted.thread(threadId).status == .failed }
            let thread = try await hosted.thread(threadId)
            #expect(thread.hosted.failureKind == "liveness")
            #expect(thread.hosted.failureReason == "liveness: no stream events for 3s")
            try await hosted.wait("the gate ended in error") { try await hosted.workflows(threadId, kind: .gate).last?["status"] == "ERROR" }
            #expect(try await hosted.child(threadId)?.status == "PENDING", "the child still waits for its executor")
        }
    }

    @Test func theReaperFailsAChildWhoseProjectorDied() async throws {
        let settings = HostedSettings(idleTimeoutMillis: 2000, reapIntervalMillis: 300, capacityBeatMillis: 300, runCap: 1)
        try await withHostedCluster(pods: 2, hosted: settings) { hosted in
            let threadId = try await splitPlacement(hosted, text: "slow:60x100")
            try await hosted.cluster.kill("pod-1")
            try await hosted.wait("failed") { try await hosted.thread(threadId).status == .failed }
            let thread = try await hosted.thread(threadId)
            #expect(thread.hosted.failureKind == "stall")
            #expect(thread.hosted.failureReason == "Run stalled — no progress within the idle timeout window")
            try await hosted.wait("the aborted child ended") { try await hosted.child(threadId)?.status == "SUCCESS" }
            #expect(try await hosted.workflows(threadId, kind: .gate).last?["status"] == "PENDING", "the dead gate waits for pod-1")
            #expect(try await hosted.subjectBodies(threadId).contains(#"{"type":"abort"}"#), "no purge: nobody projects the abort")
        }
    }

    @Test func theConductorRecoversADeadExecutorsChild() async throws {
        try await withHostedCluster(pods: 2, hosted: HostedSettings(idleTimeoutMillis: 8000, conductorDelayMillis: 500, runCap: 1)) { hosted in
            let threadId = try await splitPlacement(hosted, text: "slow:30x100")
            try await hosted.cluster.kill("pod-2")
            try await hosted.wait("the child recovered on pod-1") {
                guard let child = try await hosted.child(threadId) else { return false }
                return child.executor == "pod-1" || child.status == "SUCCESS"
            }
            try await hosted.wait("completed", timeout: .seconds(20)) { try await hosted.thread(threadId).status == .completed }
            #expect(try await hosted.workflows(threadId, kind: .child).last?["recoveries"] == "1")
        }
    }

    @Test func aGracefulStopHandsTheGateToASurvivor() async throws {
        try await withHostedCluster(pods: 2, hosted: HostedSettings(idleTimeoutMillis: 8000, runCap: 1)) { hosted in
            let threadId = try await splitPlacement(hosted, text: "slow:30x100")
            let fence = try await hosted.thread(threadId).hosted.fence
            let gateURL = hosted.test.pod(1) + "/health/ready"
            let stopping = Task { try await hosted.cluster.stop("pod-1") }
            try await hosted.wait("readiness 503 while pod-1 drains", timeout: .seconds(5)) {
                (try? await HTTPExchange.send("GET", gateURL, timeout: .milliseconds(500)))?.status == 503
            }
            try await stopping.value
            try await hosted.wait("completed by the survivor", timeout: .seconds(20)) { try await hosted.thread(threadId).status == .completed }
            try await hosted.wait("the gate ended") { try await hosted.workflows(threadId, kind: .gate).last?["status"] == "SUCCESS" }
            let gate = try #require(try await hosted.workflows(threadId, kind: .gate).last)
            #expect(gate["executor"] == "pod-2" && gate["recoveries"] == "1")
            #expect(try await hosted.thread(threadId).hosted.fence == fence, "a replayed dispatch keeps the turn's fence")
            #expect(try await hosted.store.threadSummary(id: threadId)?.renderablePartCount ?? 0 > 0)
        }
    }

    @Test func theRunCapHoldsChildrenInTheQueue() async throws {
        try await withHostedCluster(pods: 1, hosted: HostedSettings(capacityBeatMillis: 300, runCap: 3)) { hosted in
            var threads: [String] = []
            for _ in 0..<4 { threads.append(try await hosted.thread()) }
            for threadId in threads { try await hosted.post("slow:20x100", on: threadId) }
            var sawWaitingCapacity = false
            var maxPending = 0
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline {
                let rows = try await hosted.store.query("SELECT threadId, status FROM workflow WHERE kind = 'child'")
                let pending = rows.filter { $0["status"] == "PENDING" }.count
                maxPending = max(maxPending, pending)
                for row in rows where row["status"] == "ENQUEUED" {
                    guard let queued = row["threadId"] ?? nil else { continue }
                    if try await hosted.subjectBodies(queued).contains(where: { $0.contains(#""stage":"waiting-capacity""#) }) {
                        sawWaitingCapacity = true
                    }
                }
                if rows.count == 4, rows.allSatisfy({ $0["status"] == "SUCCESS" }) { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(maxPending == 3)
            #expect(sawWaitingCapacity, "the queued turn's subject shows waiting-capacity")
            for threadId in threads {
                try await hosted.wait("\(threadId) completed") { try await hosted.thread(threadId).status == .completed }
            }
        }
    }
}
