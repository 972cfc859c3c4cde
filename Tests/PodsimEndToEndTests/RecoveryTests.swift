import Foundation
import PodsimClient
import PodsimCluster
import PodsimModel
import Testing

/// Runs survive pod death, drain, pause and cancel — and each historical bug brings its symptom back.
extension EndToEnd {
    @Suite struct Recovery {
        static let docker = ["STUDIO_SANDBOX_RUNNER": "docker"]

        @Test(arguments: [BugSwitch?.none, .resumeWithoutPurge])
        func aKilledOwnersRunIsReplayedOnceBySurvivor(bug: BugSwitch?) async throws {
            try await withCluster(environment: Self.docker, bugs: Set([bug].compactMap { $0 })) { cluster in
                let account = try await cluster.bootstrap()
                let (thread, agent) = try await cluster.thread(for: account)
                #expect(try await cluster.post("slow:20x100 stamp", thread: thread, agent: agent, account: account).status == 202)
                let owner = try await cluster.owner(of: thread, account: account)
                let early = await cluster.attach(thread: thread, account: account, on: owner)
                #expect(await early.wait(timeout: .seconds(10)) { $0.count(containing: "chunk-2 ") == 1 })
                let killedAt = wallClockMillis()
                try await cluster.cluster.kill(cluster.podName(owner))

                let survivor = owner == 1 ? 2 : 1
                let newOwner = try await cluster.owner(of: thread, account: account, attempt: 2)
                #expect(newOwner != owner)
                let late = await cluster.attach(thread: thread, account: account, on: survivor)
                #expect(await late.wait(timeout: .seconds(15)) { $0.contains(#"{"type":"finish"}"#) })
                let payloads = await late.payloads
                #expect(stamps(payloads).contains { $0 > killedAt }, "a chunk stamped after the kill arrives")
                if bug == .resumeWithoutPurge {
                    #expect(payloads.count(containing: "chunk-1 ") == 2, "the dead attempt's chunk-1 is replayed too")
                } else {
                    #expect(payloads.count(containing: "chunk-1 ") == 1)
                    #expect(payloads.count(containing: "chunk-20 ") == 1)
                }
                try await cluster.waitForThread(thread, account: account) { $0.runCompleted }
                await late.close()
                await early.close()
            }
        }

        @Test func withNoReclaimTheKilledOwnersThreadStaysWedged() async throws {
            let timings = PodTimings(leaseMillis: 500)
            try await withCluster(environment: Self.docker, bugs: [.noReclaim], timings: timings) { cluster in
                let account = try await cluster.bootstrap()
                let (thread, agent) = try await cluster.thread(for: account)
                #expect(try await cluster.post("slow:20x100", thread: thread, agent: agent, account: account).status == 202)
                let owner = try await cluster.owner(of: thread, account: account)
                try await cluster.cluster.kill(cluster.podName(owner))
                try await expectStable(for: .seconds(2), "in_progress/1") {
                    let state = try await cluster.threadState(thread, account: account, on: owner == 1 ? 2 : 1)
                    return "\(state["status"]?.stringValue ?? "?")/\(Int(state["currentRun"]?["attempt"]?.numberValue ?? 0))"
                }
            }
        }

        @Test(arguments: [BugSwitch?.none, .drainLosesRuns])
        func aDrainingOwnerHandsItsRunToASurvivorAtOnce(bug: BugSwitch?) async throws {
            let timings = PodTimings(leaseMillis: 10_000)
            try await withCluster(environment: Self.docker, bugs: Set([bug].compactMap { $0 }), timings: timings) { cluster in
                let account = try await cluster.bootstrap()
                let (thread, agent) = try await cluster.thread(for: account)
                #expect(try await cluster.post("slow:20x100 stamp", thread: thread, agent: agent, account: account).status == 202)
                let owner = try await cluster.owner(of: thread, account: account)
                let survivor = owner == 1 ? 2 : 1
                let watcher = await cluster.attach(thread: thread, account: account, on: survivor)
                #expect(await watcher.wait(timeout: .seconds(10)) { $0.count(containing: "chunk-2 ") >= 1 })
                let stoppedAt = wallClockMillis()
                try await cluster.cluster.stop(cluster.podName(owner))
                let resumed = await watcher.wait(timeout: .seconds(4)) { stamps($0).contains { $0 > stoppedAt } }
                if bug == .drainLosesRuns {
                    #expect(!resumed, "the run waits for the 10 s lease")
                } else {
                    #expect(resumed, "a survivor streams a chunk stamped after the stop well before the lease expires")
                    try await cluster.waitForThread(thread, account: account) { $0.runCompleted }
                }
                await watcher.close()
            }
        }

        @Test(arguments: [BugSwitch?.none, .splitBrainWrites])
        func aPausedOwnerWritesNothingAfterLosingItsLease(bug: BugSwitch?) async throws {
            try await withCluster(environment: Self.docker, bugs: Set([bug].compactMap { $0 })) { cluster in
                let account = try await cluster.bootstrap()
                let (thread, agent) = try await cluster.thread(for: account)
                #expect(try await cluster.post("slow:20x100", thread: thread, agent: agent, account: account).status == 202)
                let owner = try await cluster.owner(of: thread, account: account)
                try await cluster.cluster.pause(cluster.podName(owner))
                let takeover = try await cluster.owner(of: thread, account: account, attempt: 2)
                #expect(takeover != owner)
                try await cluster.cluster.resume(cluster.podName(owner))
                let ended = try await cluster.waitForThread(thread, account: account) { $0["status"]?.stringValue != "in_progress" }
                if bug == nil { #expect(ended["status"]?.stringValue == "completed") }
                let stale = try await cluster.query(
                    "SELECT count(*) AS n FROM chunk WHERE threadId = ? AND pod = ?", [thread, cluster.podName(owner)])
                let staleParts = try await cluster.query(
                    "SELECT count(*) AS n FROM part WHERE threadId = ? AND pod = ?", [thread, cluster.podName(owner)])
                if bug == .splitBrainWrites {
                    let writes = Int((stale[0]["n"] ?? nil) ?? "0")! + Int((staleParts[0]["n"] ?? nil) ?? "0")!
                    #expect(writes > 0, "the stale owner kept writing")
                } else {
                    #expect(stale[0]["n"] == "0")
                    #expect(staleParts[0]["n"] == "0")
                    let log = logTail(cluster.cluster.stateDirectory + "/logs/\(cluster.podName(owner)).log", lines: 50)
                    #expect(log.contains("lost the lease") || log.contains("fenced"), "the fenced owner says so: \(log)")
                }
            }
        }

        /// A pause freezes a pod only once its store connections are out of SQLite. Under a
        /// stream of writes a bare SIGSTOP often lands inside a write transaction (4 times in 10
        /// under the throughput bench's load); the frozen pod then keeps the shared file's write
        /// lock and every other pod's writes wait for it.
        @Test func aPausedPodHoldsNoneOfTheStoresLocks() async throws {
            // Leases outlast the test's pauses, so pod-2 never takes pod-1's runs over (and is
            // never busier than pod-1).
            try await withCluster(pods: 2, environment: Self.docker, timings: PodTimings(leaseMillis: 30_000)) { cluster in
                let account = try await cluster.bootstrap()
                var streaming: [String] = []
                for _ in 0..<6 {
                    let (thread, agent) = try await cluster.thread(for: account)
                    let posted = try await cluster.post("slow:3000x1", thread: thread, agent: agent, account: account)
                    #expect(posted.status == 202, "\(posted.body)")
                    streaming.append(thread)
                }
                let pid = try #require(try await cluster.cluster.info("pod-1").pid)
                for round in 1...12 {
                    try await cluster.cluster.pause("pod-1")
                    #expect(processState(pid) == "T", "round \(round): pod-1 is frozen")
                    // Creating an agent and a thread on pod-2 writes to the store twice.
                    let wrote = await finishes(within: .seconds(3)) { _ = try await cluster.thread(for: account, on: 2) }
                    try await cluster.cluster.resume("pod-1")
                    if !wrote { throw SupportError("round \(round): pod-2 could not write while pod-1 was paused") }
                    try await Task.sleep(for: .milliseconds(20))
                }
                // Released after every pause: pod-1 goes on writing.
                for thread in streaming {
                    try await cluster.waitForThread(thread, account: account, timeout: .seconds(30)) { $0.runCompleted }
                }
            }
        }

        @Test(arguments: [BugSwitch?.none, .cancelLocalOnly])
        func cancelOnAnotherPodStopsTheRun(bug: BugSwitch?) async throws {
            try await withCluster(environment: Self.docker, bugs: Set([bug].compactMap { $0 })) { cluster in
                let account = try await cluster.bootstrap()
                let (thread, agent) = try await cluster.thread(for: account)
                #expect(try await cluster.post("slow:20x100", thread: thread, agent: agent, account: account).status == 202)
                let owner = try await cluster.owner(of: thread, account: account)
                let other = owner % 3 + 1
                let watcher = await cluster.attach(thread: thread, account: account, on: other)
                #expect(await watcher.wait(timeout: .seconds(5)) { $0.count(containing: "chunk-1 ") == 1 })
                let cancel = try await cluster.client(other, as: account).cancel(org: account.orgSlug, thread: thread)
                #expect(cancel.cancelled)
                if bug == .cancelLocalOnly {
                    try await expectStable(for: .milliseconds(700), "in_progress") {
                        try await cluster.threadState(thread, account: account)["status"]?.stringValue ?? ""
                    }
                } else {
                    let state = try await cluster.waitForThread(thread, account: account, timeout: .seconds(2)) {
                        $0["status"]?.stringValue == "failed"
                    }
                    #expect(state["currentRun"]?["error"]?.stringValue == "cancelled")
                    #expect(await watcher.wait(timeout: .seconds(2)) { $0.contains(#"{"type":"abort"}"#) })
                }
                await watcher.close()
            }
        }

        @Test(arguments: [BugSwitch?.none, .gapAfterChurn])
        func aReclaimedRunKeepsAContiguousSequence(bug: BugSwitch?) async throws {
            try await withCluster(environment: Self.docker, bugs: Set([bug].compactMap { $0 })) { cluster in
                let account = try await cluster.bootstrap()
                let (thread, agent) = try await cluster.thread(for: account)
                #expect(try await cluster.post("slow:10x100", thread: thread, agent: agent, account: account).status == 202)
                let owner = try await cluster.owner(of: thread, account: account)
                let watcher = await cluster.attach(thread: thread, account: account, on: owner)
                #expect(await watcher.wait(timeout: .seconds(5)) { $0.count(containing: "chunk-2 ") == 1 })
                try await cluster.cluster.kill(cluster.podName(owner))
                let state = try await cluster.waitForThread(thread, account: account) { $0["status"]?.stringValue != "in_progress" }
                if bug == .gapAfterChurn {
                    #expect(state["status"]?.stringValue == "failed")
                    #expect(state["currentRun"]?["error"]?.stringValue == "missing seq 1")
                } else {
                    #expect(state["status"]?.stringValue == "completed")
                }
                await watcher.close()
            }
        }
    }
}
