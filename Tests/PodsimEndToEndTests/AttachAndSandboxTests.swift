import Foundation
import PodsimClient
import PodsimCluster
import PodsimModel
import Testing

/// Cross-pod attach, projection, sessions, lazy sandboxes and the link daemon — each historical
/// bug shows its symptom with its switch on and none with it off.
extension EndToEnd {
    @Suite struct AttachAndSandbox {
        static let docker = ["STUDIO_SANDBOX_RUNNER": "docker"]

        /// Posts a turn held after chunk-1 and returns the thread, its owner and a non-owner pod.
        private func heldRun(_ cluster: TestCluster, _ account: Account, gate: String) async throws -> (thread: String, owner: Int, other: Int) {
            let (thread, agent) = try await cluster.thread(for: account)
            #expect(try await cluster.post("slow:5x50 hold:\(gate)", thread: thread, agent: agent, account: account).status == 202)
            let owner = try await cluster.owner(of: thread, account: account)
            let ownerWatcher = await cluster.attach(thread: thread, account: account, on: owner)
            #expect(await ownerWatcher.wait(timeout: .seconds(5)) { $0.count(containing: "chunk-1 ") == 1 })
            await ownerWatcher.close()
            return (thread, owner, owner % cluster.pods.count + 1)
        }

        @Test(arguments: [BugSwitch?.none, .attachDeliverNew])
        func aLateAttachOnANonOwnerPodSeesChunkOne(bug: BugSwitch?) async throws {
            try await withCluster(environment: Self.docker, bugs: Set([bug].compactMap { $0 })) { cluster in
                let account = try await cluster.bootstrap()
                let (thread, _, other) = try await heldRun(cluster, account, gate: "g1")
                let late = await cluster.attach(thread: thread, account: account, on: other)
                try await cluster.release(gate: "g1")
                #expect(await late.wait(timeout: .seconds(5)) { $0.contains(#"{"type":"finish"}"#) })
                #expect(await late.payloads.count(containing: "chunk-1 ") == (bug == .attachDeliverNew ? 0 : 1))
                #expect(await late.payloads.count(containing: "chunk-5 ") == 1)
                let frames = await late.frames
                let seqs = frames.compactMap { $0.id?.split(separator: ":").last.flatMap { Int($0) } }
                #expect(seqs.count == frames.count, "every seed frame carries its chunk id")
                #expect(seqs == Array((seqs.first ?? 1)..<((seqs.first ?? 1) + seqs.count)))
                if bug == nil { #expect(seqs.first == 1) }
                #expect(frames.map(\.receivedNanos) == frames.map(\.receivedNanos).sorted())
                await late.close()
                #expect(await late.endReason == .client)
                let head = try #require(await late.headNanos)
                #expect(await late.attachStartedNanos <= head)
                #expect(try #require(await late.endedNanos) >= head)
                let calls = try await MockAIControlClient(url: cluster.mockAI).calls(thread: thread)
                #expect(calls.map(\.step) == [1])
                #expect(calls.map(\.attempt) == [1])
                #expect(calls.map(\.status) == [200])
                #expect(calls.allSatisfy { $0.run != nil && $0.endedNanos != nil })
            }
        }

        @Test(arguments: [BugSwitch?.none, .attachReexecutes])
        func attachingNeverExecutesTheRunAgain(bug: BugSwitch?) async throws {
            try await withCluster(environment: Self.docker, bugs: Set([bug].compactMap { $0 })) { cluster in
                let account = try await cluster.bootstrap()
                let (thread, _, other) = try await heldRun(cluster, account, gate: "g2")
                let late = await cluster.attach(thread: thread, account: account, on: other)
                #expect(await late.wait(timeout: .seconds(5)) { $0.count(containing: "chunk-1 ") >= 1 })
                try await cluster.release(gate: "g2")
                #expect(await late.wait(timeout: .seconds(5)) { $0.contains(#"{"type":"finish"}"#) })
                try await cluster.waitForThread(thread, account: account) { $0.runCompleted }
                if bug == .attachReexecutes {
                    let reexecuted = try await eventually(timeout: .seconds(5)) { try await cluster.providerCalls(thread: thread) == 2 }
                    #expect(reexecuted, "the non-owner pod called the provider again")
                    #expect(try await eventually(timeout: .seconds(5)) {
                        (try await cluster.threadState(thread, account: account)["partCount"]?.numberValue ?? 0) > 2
                    }, "and persisted its parts again")
                } else {
                    #expect(try await cluster.providerCalls(thread: thread) == 1)
                    try await expectStable(for: .milliseconds(600), 2.0) {
                        try await cluster.threadState(thread, account: account)["partCount"]?.numberValue ?? -1
                    }
                }
                await late.close()
            }
        }

        @Test(arguments: [BugSwitch?.none, .doubleProjection])
        func partsArePersistedExactlyOnce(bug: BugSwitch?) async throws {
            try await withCluster(pods: 2, environment: Self.docker, bugs: Set([bug].compactMap { $0 })) { cluster in
                let account = try await cluster.bootstrap()
                let (thread, agent) = try await cluster.thread(for: account)
                #expect(try await cluster.post("slow:3x20", thread: thread, agent: agent, account: account).status == 202)
                let done = try await cluster.waitForThread(thread, account: account) { $0.runCompleted }
                if bug == .doubleProjection {
                    // The second projection may land before the completed thread is first read.
                    let grown = try await cluster.waitForThread(thread, account: account, timeout: .seconds(3)) {
                        ($0["partCount"]?.numberValue ?? 0) > 2
                    }
                    #expect(grown["status"]?.stringValue == "completed")
                } else {
                    #expect(done["partCount"]?.numberValue == 2)
                    try await expectStable(for: .seconds(1), 2.0) {
                        try await cluster.threadState(thread, account: account)["partCount"]?.numberValue ?? -1
                    }
                }
            }
        }

        @Test(arguments: [BugSwitch?.none, .podLocalSessions])
        func aSignOutOnOnePodIsSeenByAll(bug: BugSwitch?) async throws {
            try await withCluster(bugs: Set([bug].compactMap { $0 })) { cluster in
                let account = try await cluster.bootstrap()
                let cookie = try await cluster.client(1, as: account).signIn().cookie
                let session = cluster.client().calling(as: .cookie(cookie))
                for pod in cluster.pods {
                    #expect(try await session.on(pod).session().user.id == account.userId)
                }
                #expect(try await session.on(cluster.pod(2)).signOut().ok)
                for pod in [cluster.pod(1), cluster.pod(3)] {
                    let refused = try await refusal { try await session.on(pod).session() }
                    #expect(refused?.status == (bug == .podLocalSessions ? nil : 401))
                }
            }
        }

        @Test(arguments: [BugSwitch?.none, .eagerEnsureVm])
        func postWithoutALinkDaemonNeverProvisions(bug: BugSwitch?) async throws {
            try await withCluster(pods: 1, bugs: Set([bug].compactMap { $0 })) { cluster in
                let account = try await cluster.bootstrap()
                let (thread, agent) = try await cluster.thread(for: account)
                let posted = try await cluster.post("hello", thread: thread, agent: agent, account: account)
                if bug == .eagerEnsureVm {
                    #expect(posted.status == 500)
                    #expect(posted.json?["error"]?.stringValue?.hasPrefix("No link daemon registered for user \"\(account.userId)\".") == true)
                } else {
                    #expect(posted.status == 409)
                    #expect(posted.json == ["error": "link_unavailable", "code": "link_offline"])
                }
            }
        }

        @Test func withALinkDaemonToolCallsProvisionThroughTheLinkOnce() async throws {
            try await withCluster(pods: 2) { cluster in
                let account = try await cluster.bootstrap()
                let daemon = try await cluster.cluster.startLinkDaemon(
                    LinkDaemonSpec(name: "link-1", apiKey: account.apiKey, ttlMillis: 600))
                let (thread, agent) = try await cluster.thread(for: account)
                #expect(try await cluster.post("tool:bash", thread: thread, agent: agent, account: account, on: 2).status == 202)
                let watcher = await cluster.attach(thread: thread, account: account, on: 1)
                let done = try await cluster.waitForThread(thread, account: account) { $0.runCompleted }
                #expect(done["sandboxProviderKind"]?.stringValue == "remote-user")
                #expect(done["sandboxCount"]?.numberValue == 1)
                let stats = try await HTTPExchange.send("GET", daemon.url + "/stats")
                #expect(stats.json?["provisions"]?.numberValue == 1)
                #expect(stats.json?["execs"]?.numberValue == 1)
                #expect(await watcher.wait(timeout: .seconds(5)) { $0.contains(#"{"type":"finish"}"#) })
                #expect(await watcher.payloads.count(containing: "tool-output-available") == 1)
                #expect(try await cluster.providerCalls(thread: thread) == 2, "the tool call and the follow-up turn")
                await watcher.close()

                try await cluster.cluster.kill("link-1")
                let (second, secondAgent) = try await cluster.thread(for: account)
                let deadline = ContinuousClock.now + .seconds(5)
                var status = 0
                while ContinuousClock.now < deadline {
                    status = try await cluster.post("hello", thread: second, agent: secondAgent, account: account).status
                    if status == 409 { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(status == 409, "the killed daemon's link goes offline after its TTL")
            }
        }

        @Test func sandboxProvisioningFailuresAreToolErrorsNotHTTPErrors() async throws {
            try await withCluster(pods: 1, environment: Self.docker) { cluster in
                let account = try await cluster.bootstrap()
                let (dockerThread, agent) = try await cluster.thread(for: account)
                #expect(try await cluster.post("tool:bash", thread: dockerThread, agent: agent, account: account).status == 202)
                let watcher = await cluster.attach(thread: dockerThread, account: account, on: 1)
                let failed = try await cluster.waitForThread(dockerThread, account: account) { $0.runCompleted }
                #expect(failed["sandboxCount"]?.numberValue == 0)
                #expect(await watcher.wait(timeout: .seconds(5)) { $0.contains { $0.contains("tool-output-error") && $0.contains("Docker is not available") } })
                await watcher.close()

                let (hosted, _) = try await cluster.thread(for: account)
                #expect(try await cluster.post(
                    "tool:bash", thread: hosted, agent: agent, account: account, sandboxProviderKind: "agent-sandbox").status == 202)
                let done = try await cluster.waitForThread(hosted, account: account) { $0.runCompleted }
                #expect(done["sandboxCount"]?.numberValue == 1)
            }
        }
    }
}
