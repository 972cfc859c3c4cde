import Foundation
import PodsimClient
@testable import PodsimCluster
import PodsimModel
import PodsimStore
import Testing

/// Each bus fault on a real hosted cluster: the fixed behaviour absorbs the transient ones, a
/// degraded pod answers 204, a restart keeps the log and forgets purged ids, and the control API
/// refuses bad input with a clear 4xx.
@Suite struct BusFaultTests {
    /// A thread's public id and store key.
    private func thread(_ hosted: HostedTestCluster) async throws -> (publicId: String, key: String) {
        let (publicId, _) = try await hosted.test.thread(for: hosted.account)
        return (publicId, try #require(try await hosted.store.thread(orgId: hosted.orgId, publicId: publicId)).id)
    }

    private func attach(_ hosted: HostedTestCluster, _ publicId: String, on pod: Int) async -> StreamWatcher {
        await hosted.test.attach(thread: publicId, account: hosted.account, on: pod)
    }

    private func fault(_ hosted: HostedTestCluster, _ kind: BusFaultKind, pod: String? = nil, forMs: Int64? = nil, count: Int? = nil)
        async throws
    {
        _ = try await hosted.cluster.injectBusFault(ControlAPI.BusFault(kind: kind.rawValue, pod: pod, forMs: forMs, count: count))
    }

    /// Waits until the thread's last turn's gate ended SUCCESS with the thread completed (a new
    /// thread reads `completed` before its first turn starts).
    private func waitCompleted(_ hosted: HostedTestCluster, _ key: String) async throws {
        try await hosted.wait("the turn completed") {
            let gate = try await hosted.workflows(key, kind: .gate).last?["status"]
            return try await hosted.thread(key).status == .completed && gate == "SUCCESS"
        }
    }

    private func assistantText(_ hosted: HostedTestCluster, _ key: String) async throws -> [String] {
        try await hosted.store.parts(threadId: key).filter { $0.role == "assistant" && $0.type == "text" }.map(\.body)
    }

    @Test func aShortPublishRefusalIsAbsorbedAndALongOneFailsTheRun() async throws {
        // The idle timeout outlasts the child's retries, so the reactor's record is the first.
        try await withHostedCluster(pods: 1, hosted: HostedSettings(idleTimeoutMillis: 8000)) { hosted in
            let (_, key) = try await thread(hosted)
            let gate = "g" + UUID().uuidString.prefix(8).lowercased()
            try await hosted.post("hold:\(gate)@3 slow:6x20", on: key)
            try await hosted.wait("chunk 2 published") { try await hosted.fencedIDs(key).count >= 3 }
            try await fault(hosted, .refusePublish, forMs: 1500)
            try await hosted.test.release(gate: gate)
            try await waitCompleted(hosted, key)
            let text = try await assistantText(hosted, key)
            #expect(text.count == 1 && text[0].contains("chunk-1 chunk-2 chunk-3 chunk-4 chunk-5 chunk-6 "), "exactly once, in order: \(text)")

            let (_, failing) = try await thread(hosted)
            try await fault(hosted, .refusePublish, forMs: 60_000)
            try await hosted.post("slow:3x20", on: failing)
            try await hosted.wait("failed") { try await hosted.thread(failing).status == .failed }
            #expect(try await hosted.thread(failing).hosted.failureKind == "error")
            try await hosted.wait("the child ended") { try await hosted.child(failing)?.status == "SUCCESS" }
            #expect(try await !hosted.subjectBodies(failing).contains { $0.contains(#""type":"error""#) }, "the failure terminal is swallowed")
            _ = try await hosted.cluster.healBus()
        }
    }

    @Test func failedConsumerOpensAreRetriedUntilTheyRunOut() async throws {
        try await withHostedCluster(pods: 1, hosted: HostedSettings()) { hosted in
            let (publicId, key) = try await thread(hosted)
            try await fault(hosted, .failConsumerOpen, pod: "pod-1", count: 1)
            let watcher = await attach(hosted, publicId, on: 1)
            #expect(await watcher.status == 200, "one failed open is retried")
            #expect(try await hosted.store.query("SELECT remaining FROM busFault").map { $0["remaining"] ?? nil } == ["0"])

            try await fault(hosted, .failConsumerOpen, count: 1)
            try await hosted.post("slow:3x20", on: key)
            try await waitCompleted(hosted, key)
            try await hosted.wait("chunk-3 on the stream") { await watcher.frames.contains { $0.data.contains("chunk-3 ") } }
            await watcher.close()

            // As many failures as the tail's attempts (6).
            try await fault(hosted, .failConsumerOpen, pod: "pod-1", count: 6)
            let refused = await attach(hosted, publicId, on: 1)
            #expect(await refused.status == 204, "six failed opens exhaust the retries")
            await refused.close()
        }
    }

    @Test func aDegradedPodAnswers204AndItsProjectorFails() async throws {
        try await withHostedCluster(pods: 2, hosted: HostedSettings(idleTimeoutMillis: 3000)) { hosted in
            let (publicId, key) = try await thread(hosted)
            try await fault(hosted, .degrade, pod: "pod-2")
            let degraded = await attach(hosted, publicId, on: 2)
            #expect(await degraded.status == 204)
            let healthy = await attach(hosted, publicId, on: 1)
            #expect(await healthy.status == 200)
            await healthy.close()
            _ = try await hosted.cluster.healBus()
            let healed = await attach(hosted, publicId, on: 2)
            #expect(await healed.status == 200)
            await healed.close()

            try await fault(hosted, .degrade, pod: "pod-2", forMs: 300)
            try await hosted.wait("the degrade to end") {
                let watcher = await attach(hosted, publicId, on: 2)
                await watcher.close()
                return await watcher.status == 200
            }

            try await fault(hosted, .degrade)
            try await hosted.post("slow:3x20", on: key)
            try await hosted.wait("failed") { try await hosted.thread(key).status == .failed }
            try await hosted.wait("the gate ended ERROR") { try await hosted.workflows(key, kind: .gate).last?["status"] == "ERROR" }
            let error = try await hosted.workflows(key, kind: .gate).last?["error"] ?? nil
            #expect(error?.contains("JetStream unavailable for consume step") == true, "\(error ?? "nil")")
            _ = try await hosted.cluster.healBus()
        }
    }

    @Test func aRestartKeepsTheLogAndForgetsPurgedIds() async throws {
        try await withHostedCluster(pods: 1, hosted: HostedSettings()) { hosted in
            let (_, key) = try await thread(hosted)
            try await hosted.post("slow:3x20", on: key)
            try await waitCompleted(hosted, key)
            let (_, kept) = try await thread(hosted)
            try await hosted.store.publish([SubjectPublish(msgId: "\(kept):f:1", fence: "f", seq: 1, body: "{}")], threadId: kept, pod: "test", dedupWindowMillis: 60_000)
            #expect(try await hosted.store.query("SELECT msgId FROM dedup").count > 1)
            _ = try await hosted.cluster.restartBus()
            #expect(try await hosted.store.query("SELECT msgId FROM dedup").map { $0["msgId"] ?? nil } == ["\(kept):f:1"])
            #expect(try await hosted.subjectBodies(kept) == ["{}"], "the log survives")
            try await hosted.post("slow:3x20", on: key)
            try await waitCompleted(hosted, key)
        }
    }

    @Test func aFailedChildStartEndsTheGateAndFreesTheThread() async throws {
        try await withHostedCluster(pods: 1, hosted: HostedSettings(idleTimeoutMillis: 60_000)) { hosted in
            let (_, key) = try await thread(hosted)
            try await fault(hosted, .failChildStart, pod: "pod-1")
            try await hosted.post("slow:3x20", on: key)
            try await hosted.post("slow:3x20", on: key)
            try await hosted.wait("turn 1's gate ended ERROR") { try await hosted.workflows(key, kind: .gate).first?["status"] == "ERROR" }
            try await waitCompleted(hosted, key)
            #expect(try await hosted.workflows(key, kind: .child).count == 1)
        }
    }

    @Test func theControlAPIRefusesBadBusCalls() async throws {
        let hosted = try await ControlAPIHardeningTests.Up.start(["--profile", "hosted"])
        let cases: [(body: String, status: Int, message: String)] = [
            (#"{"kind":"refuse-publish","pod":"pod-9"}"#, 404, "no process named pod-9"),
            (#"{"kind":"refuse-publish","pod":"mock-ai"}"#, 400, "mock-ai is not a pod"),
            (#"{"kind":"nope"}"#, 400, "unknown bus fault 'nope'"),
            (#"{"kind":"refuse-publish","forMs":-1}"#, 400, "forMs must be between 1 and 600000"),
            (#"{"kind":"degrade","forMs":99999999999}"#, 400, "forMs must be between 1 and 600000"),
            (#"{"kind":"fail-consumer-open","count":0}"#, 400, "count must be between 1 and 1000"),
            (#"{"kind":"fail-consumer-open","count":5000}"#, 400, "count must be between 1 and 1000"),
            (#"{"kind":"fail-consumer-open","forMs":100}"#, 400, "takes count, not forMs"),
            (#"{"kind":"degrade","count":1}"#, 400, "not count"),
        ]
        for (body, status, message) in cases {
            let answer = try await hosted.call("POST", ControlPath.busFaults, body: body)
            #expect(answer.status == status, "\(body): \(answer.body)")
            #expect(answer.json?["error"]?["message"]?.stringValue?.contains(message) == true, "\(body): \(answer.body)")
        }
        let accepted = try await hosted.call("POST", ControlPath.busFaults, body: #"{"kind":"degrade","pod":"pod-2","forMs":100}"#)
        #expect(accepted.status == 201 && accepted.json?["at"] != nil, "\(accepted.body)")
        #expect(try await hosted.call("POST", ControlPath.busHeal).status == 200)
        #expect(try await hosted.call("POST", ControlPath.busRestart).status == 200)
        try await hosted.stop()

        let seed = try await ControlAPIHardeningTests.Up.start()
        for path in [ControlPath.busFaults, ControlPath.busHeal, ControlPath.busRestart] {
            let answer = try await seed.call("POST", path, body: #"{"kind":"degrade"}"#)
            #expect(answer.status == 409, "\(path): \(answer.body)")
            #expect(answer.json?["error"]?["message"]?.stringValue?.contains("bus faults need the hosted profile") == true, "\(answer.body)")
        }
        try await seed.stop()
    }
}
