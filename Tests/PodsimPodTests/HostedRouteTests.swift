import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import PodsimModel
import Testing

@testable import PodsimPod
@testable import PodsimStore

/// The hosted profile's chat routes: POST's checks in the real handler's order with their texts,
/// what an accepted turn writes, the stream's statuses and deliver policy, and cancel.
@Suite struct HostedRouteTests {
    // MARK: POST

    @Test func postChecksTheCallerFirst() async throws {
        try await PodRouterFixture.test(profile: .hosted) { pod in
            let account = try await pod.createAccount()
            let answer = try await pod.send(.post, PodPath.messages(org: account.slug, thread: "a.b"), body: "not json")
            #expect(answer.status == .unauthorized)
            #expect(try answer.errorBody().error == "Missing bearer API key")
        }
    }

    @Test func aBodyThatIsNotJSONIsA500() async throws {
        try await PodRouterFixture.test(profile: .hosted) { pod in
            let account = try await pod.createAccount()
            for body in ["{\"messages\": [", "", "not json"] {
                let answer = try await pod.send(.post, account.messages, headers: account.auth, body: body)
                #expect(answer.status == .internalServerError, "\(body)")
                #expect(try answer.errorBody().error == "Request body is not valid JSON")
            }
        }
    }

    @Test func theSchemaIsStrict() async throws {
        try await PodRouterFixture.test(profile: .hosted) { pod in
            let account = try await pod.createAccount()
            let user = #"{"id":"m1","role":"user","parts":[{"type":"text","text":"hi"}]}"#
            let cases: [(body: String, message: String)] = [
                (#"{"messages":[\#(user)],"harnessId":"decopilot"}"#, "Unrecognized key(s) in object: 'harnessId'"),
                (#"{"messages":[\#(user)],"sandboxProviderKind":"user-desktop"}"#, "Unrecognized key(s) in object: 'sandboxProviderKind'"),
                (#"{"messages":[\#(user)],"runLocally":true}"#, "Unrecognized key(s) in object: 'runLocally'"),
                (#"{"messages":[\#(user)],"stream":true,"foo":1}"#, "Unrecognized key(s) in object: 'foo', 'stream'"),
                ("[]", "Expected object, received array"),
                ("{}", "messages: Required"),
                (#"{"messages":[]}"#, "messages: Array must contain at least 1 element(s)"),
                (#"{"messages":[{"role":"bot","parts":[]}]}"#, "messages.0.role: Invalid enum value. Expected 'user' | 'assistant' | 'system', received 'bot'"),
                (#"{"messages":[{"role":"user"}]}"#, "messages.0.parts: Required"),
                (#"{"messages":[{"role":"user","parts":[{"type":"text"}]}]}"#, "messages.0.parts.0.text: Required"),
                (#"{"messages":[\#(user),\#(user)]}"#, "Expected exactly one non-system message"),
                (#"{"messages":[{"role":"system","parts":[]}]}"#, "Expected exactly one non-system message"),
                (#"{"messages":[\#(user)],"memory":{"windowSize":0}}"#, "memory.windowSize: Number must be greater than or equal to 1"),
                (#"{"messages":[\#(user)],"memory":{"windowSize":501}}"#, "memory.windowSize: Number must be less than or equal to 500"),
                (#"{"messages":[\#(user)],"memory":{"windowSize":2.5}}"#, "memory.windowSize: Expected integer, received float"),
                (#"{"messages":[\#(user)],"memory":{"size":2}}"#, "memory: Unrecognized key(s) in object: 'size'"),
                (#"{"messages":[\#(user)],"tier":3}"#, "tier: Expected string, received number"),
                (#"{"messages":[\#(user)],"temperature":"hot"}"#, "temperature: Expected number, received string"),
                (#"{"messages":[\#(user)],"mode":"fast"}"#, "mode: Invalid enum value. Expected 'default' | 'plan' | 'web-search' | 'deep-research' | 'gen-image', received 'fast'"),
                (#"{"messages":[\#(user)],"toolApprovalLevel":"all"}"#, "toolApprovalLevel: Invalid enum value. Expected 'auto' | 'readonly', received 'all'"),
                (#"{"messages":[\#(user)],"agent":{}}"#, "agent.id: Required"),
            ]
            for (body, message) in cases {
                let answer = try await pod.send(.post, account.messages, headers: account.auth, body: body)
                #expect(answer.status == .badRequest, "\(body)")
                #expect(try answer.errorBody().error == message, "\(body)")
            }
            #expect(try await pod.store.query("SELECT id FROM workflow").isEmpty)
        }
    }

    /// Body checks come before the thread id's, which come before the thread lookup.
    @Test func theBodyIsCheckedBeforeTheThread() async throws {
        try await PodRouterFixture.test(profile: .hosted) { pod in
            let account = try await pod.createAccount()
            let cases: [(thread: String, body: String, status: HTTPResponse.Status, message: String)] = [
                ("a.b", #"{"messages":[],"runLocally":true}"#, .badRequest, "Unrecognized key(s) in object: 'runLocally'"),
                ("a.b", account.body(threadId: "other"), .badRequest, "threadId in URL does not match thread_id in body"),
                ("a.b", account.body(), .badRequest, "Invalid thread ID"),
                ("missing", account.body(), .notFound, "Thread not found"),
                (account.threadId, account.body(threadId: "other"), .badRequest, "threadId in URL does not match thread_id in body"),
                (account.threadId, account.body(memoryThreadId: "other"), .badRequest, "threadId in URL does not match thread_id in body"),
            ]
            for (thread, body, status, message) in cases {
                let answer = try await pod.send(.post, PodPath.messages(org: account.slug, thread: thread), headers: account.auth, body: body)
                #expect(answer.status == status, "\(thread) \(body)")
                #expect(try answer.errorBody().error == message, "\(thread) \(body)")
            }
        }
    }

    /// Hosted's thread store takes a dotted id; since #5262 POST refuses it, and since #6520 the
    /// desktop selector is a schema error. Their switches bring the old answers back: 202, and
    /// 409 `link_unavailable` (hosted has no link daemons).
    @Test(arguments: [false, true])
    func unsafeIDsAndLegacySelectorsAnswerPerSwitch(switchedOn: Bool) async throws {
        let bugs: Set<BugSwitch> = switchedOn ? [.unsafeThreadId, .legacyLinkDispatch] : []
        try await PodRouterFixture.test(bugs: bugs, profile: .hosted) { pod in
            let account = try await pod.createAccount()
            let created = try await pod.send(
                .post, PodPath.threads(org: account.slug), headers: account.auth, json: PodAPI.CreateThread(id: "chat.1", agentId: account.agentId))
            #expect(created.status == .created, "\(created.text)")
            let dotted = try await pod.send(.post, account.messages("chat.1"), headers: account.auth, body: account.body())
            #expect(dotted.status == (switchedOn ? .accepted : .badRequest), "\(dotted.text)")
            let legacy = try await pod.send(
                .post, account.messages, headers: account.auth,
                body: #"{"messages":[{"id":"m2","role":"user","parts":[{"type":"text","text":"hi"}]}],"sandboxProviderKind":"user-desktop"}"#)
            #expect(legacy.status == (switchedOn ? .conflict : .badRequest), "\(legacy.text)")
            #expect(try legacy.errorBody().error.contains(switchedOn ? "link_unavailable" : "sandboxProviderKind"))
        }
    }

    @Test func anotherOrgsThreadIsNotFound() async throws {
        try await PodRouterFixture.test(profile: .hosted) { pod in
            let account = try await pod.createAccount()
            let other = try await pod.createAccount()
            let answer = try await pod.send(.post, account.messages(other.threadId), headers: account.auth, body: account.body())
            #expect(answer.status == .notFound)
            #expect(try answer.errorBody().error == "Thread not found")
        }
    }

    @Test func onlyTheThreadsCreatorMayPost() async throws {
        try await PodRouterFixture.test(profile: .hosted) { pod in
            let account = try await pod.createAccount()
            let foreign = try await account.thread(in: pod.store, id: "foreign", createdBy: "someone-else")
            let refused = try await pod.send(.post, account.messages(foreign), headers: account.auth, body: account.body())
            #expect(refused.status == .forbidden)
            #expect(try refused.errorBody().error == "Not authorized")
            let legacy = try await account.thread(in: pod.store, id: "legacy", createdBy: nil)
            let accepted = try await pod.send(.post, account.messages(legacy), headers: account.auth, body: account.body())
            #expect(accepted.status == .accepted, "a thread with no creator is open to its org: \(accepted.text)")
        }
    }

    @Test func theThreadsAgentAndRuntimeMustAllowAHostedRun() async throws {
        try await PodRouterFixture.test(profile: .hosted) { pod in
            let account = try await pod.createAccount()
            let other = try await pod.createAccount()
            let cases: [(update: String, status: HTTPResponse.Status, message: String)] = [
                ("agentId = '\(other.agentId)'", .conflict, "Thread agent is unavailable in this organization"),
                ("harnessId = 'claude-code', sandboxProviderKind = 'agent-sandbox'", .conflict, "This coding-agent chat can only run in the Studio desktop app"),
                ("harnessId = 'decopilot', sandboxProviderKind = 'docker'", .conflict, "This chat is pinned to an unsupported desktop runtime"),
                ("sandboxProviderKind = 'remote-user'", .conflict, "This chat is pinned to an unsupported desktop runtime"),
                ("harnessId = 'decopilot', messageStorageVersion = 1", .conflict, "Thread uses legacy message storage and cannot accept new messages"),
            ]
            for (index, (update, status, message)) in cases.enumerated() {
                let thread = try await account.thread(in: pod.store, id: "t\(index)", createdBy: account.created.userId)
                try await pod.store.execute("UPDATE thread SET \(update) WHERE publicId = '\(thread)'")
                let answer = try await pod.send(.post, account.messages(thread), headers: account.auth, body: account.body())
                #expect(answer.status == status, "\(update)")
                #expect(try answer.errorBody().error == message, "\(update)")
            }
            let tolerated = try await account.thread(in: pod.store, id: "legacy-desktop", createdBy: account.created.userId)
            try await pod.store.execute("UPDATE thread SET harnessId = 'decopilot', sandboxProviderKind = 'user-desktop' WHERE publicId = '\(tolerated)'")
            let accepted = try await pod.send(.post, account.messages(tolerated), headers: account.auth, body: account.body())
            #expect(accepted.status == .accepted, "the legacy decopilot pin on user-desktop is tolerated: \(accepted.text)")
        }
    }

    /// The tier comes after the runtime pins and before the storage version and the message's role.
    @Test func anUnknownTierIsA400AfterTheRuntimeChecks() async throws {
        try await PodRouterFixture.test(profile: .hosted) { pod in
            let account = try await pod.createAccount()
            let turbo = account.body(tier: "turbo")
            let answer = try await pod.send(.post, account.messages, headers: account.auth, body: turbo)
            #expect(answer.status == .badRequest)
            #expect(try answer.errorBody().error == #"No model is configured for tier "turbo" in this organization"#)
            let assistant = account.body(role: "assistant", tier: "turbo")
            #expect(try await pod.send(.post, account.messages, headers: account.auth, body: assistant).errorBody().error.hasPrefix("No model"))
            let pinned = try await account.thread(in: pod.store, id: "pinned", createdBy: account.created.userId)
            try await pod.store.execute("UPDATE thread SET harnessId = 'claude-code' WHERE publicId = '\(pinned)'")
            #expect(try await pod.send(.post, account.messages(pinned), headers: account.auth, body: turbo).status == .conflict)
            for tier in HostedPostRequest.tiers {
                let accepted = try await pod.send(.post, account.messages, headers: account.auth, body: account.body(tier: tier))
                #expect(accepted.status == .accepted, "\(tier)")
            }
        }
    }

    @Test func aTurnWithoutAUserMessageIsA400() async throws {
        try await PodRouterFixture.test(profile: .hosted) { pod in
            let account = try await pod.createAccount()
            let answer = try await pod.send(.post, account.messages, headers: account.auth, body: account.body(role: "assistant"))
            #expect(answer.status == .badRequest)
            #expect(try answer.errorBody().error == "No user message found in input")
        }
    }

    /// The client's standard body (with `agent` and `thread_id`) is accepted: the runtime is pinned,
    /// the user parts, the `waiting-runner` frame and the gate are written; a repeat collapses.
    @Test func anAcceptedTurnIsWrittenOnceAndRepeatsCollapse() async throws {
        try await PodRouterFixture.test(profile: .hosted) { pod in
            let account = try await pod.createAccount()
            var body = MessagesRequest(text: "hello there", agentId: account.agentId, messageId: "m1")
            body.threadId = account.threadId
            for _ in 0..<2 {
                let answer = try await pod.send(.post, account.messages, headers: account.auth, json: body)
                #expect(answer.status == .accepted)
                #expect(try answer.decode(PodAPI.Accepted.self) == PodAPI.Accepted(taskId: account.threadId))
            }
            let thread = try #require(try await pod.store.thread(orgId: account.created.orgId, publicId: account.threadId))
            #expect(thread.hosted.harnessId == "decopilot")
            #expect(thread.sandboxProviderKind == "agent-sandbox")
            #expect(thread.hosted.branch == "ephemeral")
            #expect(thread.hosted.messageStorageVersion == 2)
            #expect(thread.status == .completed, "POST never changes the status")
            #expect(thread.hosted.fence == nil, "POST mints no fence")
            let parts = try await pod.store.parts(threadId: thread.id)
            #expect(parts.map(\.key) == ["\(thread.id):m1:0", "\(thread.id):m1:1"])
            #expect(parts.map(\.type) == ["text", "finish"])
            #expect(parts.map(\.role) == ["user", "user"])
            #expect(parts.map(\.messageId) == ["m1", "m1"])
            #expect(parts.first?.body == "hello there")
            #expect(parts[0].createdAt < parts[1].createdAt)
            let gates = try await pod.store.query("SELECT id, status, priority, messageId FROM workflow WHERE threadId = ?", arguments: [thread.id])
            #expect(gates.count == 1)
            #expect(gates.first?["id"] == "thread-run:\(thread.id):m1")
            #expect(gates.first?["status"] == "ENQUEUED")
            #expect(gates.first?["priority"] == "10")
            let frames = try await pod.store.retainedSubjectMessages(threadId: thread.id)
            #expect(frames.map(\.body).first == #"{"type":"data-run-status","id":"run-status","data":{"stage":"waiting-runner"}}"#)
            #expect(frames.allSatisfy { $0.msgId == nil && $0.fence == nil && $0.seq == nil })
        }
    }

    /// The schema lets a message come without an id: the turn gets a fresh one, so nothing collapses.
    @Test func aMessageWithoutAnIdGetsOne() async throws {
        try await PodRouterFixture.test(profile: .hosted) { pod in
            let account = try await pod.createAccount()
            let body = #"{"messages":[{"role":"user","parts":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}]}"#
            for _ in 0..<2 { #expect(try await pod.send(.post, account.messages, headers: account.auth, body: body).status == .accepted) }
            let key = try #require(try await pod.store.thread(orgId: account.created.orgId, publicId: account.threadId)).id
            let gates = try await pod.store.queuedGates(threadId: key)
            #expect(gates.count == 2)
            #expect(Set(gates.map(\.messageId)).count == 2)
            let parts = try await pod.store.parts(threadId: key).filter { $0.messageId == gates.first?.messageId }
            #expect(parts.map(\.type) == ["text", "text", "finish"])
            #expect(parts.map(\.body).prefix(2) == ["a", "b"])
        }
    }

    @Test func theBodysBranchPinsAnUnpinnedThreadOnly() async throws {
        try await PodRouterFixture.test(profile: .hosted) { pod in
            let account = try await pod.createAccount()
            #expect(try await pod.send(.post, account.messages, headers: account.auth, body: account.body(branch: "feature")).status == .accepted)
            let later = account.body(messageId: "m2", branch: "later")
            #expect(try await pod.send(.post, account.messages, headers: account.auth, body: later).status == .accepted)
            let thread = try #require(try await pod.store.thread(orgId: account.created.orgId, publicId: account.threadId))
            #expect(thread.hosted.branch == "feature")
            let gates = try await pod.store.query("SELECT id FROM workflow WHERE threadId = ?", arguments: [thread.id])
            #expect(gates.count == 2, "two message ids, two turns")
        }
    }

    @Test func noWaitingRunnerFrameWhileATurnIsInProgress() async throws {
        try await PodRouterFixture.test(profile: .hosted) { pod in
            let account = try await pod.createAccount()
            let thread = try #require(try await pod.store.thread(orgId: account.created.orgId, publicId: account.threadId))
            try await pod.store.markRunStarted(threadId: thread.id)
            #expect(try await pod.send(.post, account.messages, headers: account.auth, body: account.body()).status == .accepted)
            #expect(try await pod.store.retainedSubjectMessages(threadId: thread.id).isEmpty)
            #expect(try await pod.store.parts(threadId: thread.id).count == 2)
        }
    }

    // MARK: Cancel

    @Test func cancelIsForTheCreatorOfAThreadWithAHostedRun() async throws {
        try await PodRouterFixture.test(profile: .hosted) { pod in
            let account = try await pod.createAccount()
            let foreign = try await account.thread(in: pod.store, id: "foreign", createdBy: "someone-else")
            let refused = try await pod.send(.post, PodPath.cancel(org: account.slug, thread: foreign), headers: account.auth)
            #expect(refused.status == .forbidden)
            #expect(try refused.errorBody().error == "Not authorized")
            let cases: [(thread: String, headers: HTTPFields, status: HTTPResponse.Status, message: String)] = [
                (account.threadId, [:], .unauthorized, "Missing bearer API key"),
                ("a.b", account.auth, .badRequest, "Invalid thread ID"),
                ("missing", account.auth, .notFound, "Thread not found"),
                (account.threadId, account.auth, .conflict, "This chat has not started a hosted run"),
            ]
            for (thread, headers, status, message) in cases {
                let answer = try await pod.send(.post, PodPath.cancel(org: account.slug, thread: thread), headers: headers)
                #expect(answer.status == status, "\(thread)")
                #expect(try answer.errorBody().error == message, "\(thread)")
            }
        }
    }

    /// A turn still queued: its gate is cancelled and the flag set; the thread is not in progress,
    /// so nothing is force-failed.
    @Test func cancellingAQueuedTurn() async throws {
        try await PodRouterFixture.test(profile: .hosted) { pod in
            let account = try await pod.createAccount()
            #expect(try await pod.send(.post, account.messages, headers: account.auth, body: account.body()).status == .accepted)
            for _ in 0..<2 {
                let answer = try await pod.send(.post, account.cancel, headers: account.auth)
                #expect(answer.status == .accepted)
                #expect(try answer.decode(PodAPI.Cancelled.self) == PodAPI.Cancelled(cancelled: true, async: true))
            }
            let thread = try #require(try await pod.store.thread(orgId: account.created.orgId, publicId: account.threadId))
            #expect(thread.hosted.cancelRequestedAt != nil)
            #expect(thread.status == .completed)
            let gate = try #require(try await pod.store.workflow(id: Store.WorkflowID.gate(threadId: thread.id, messageId: "m1")))
            #expect(gate.status == .cancelled)
        }
    }

    /// Nothing runs on this pod and the request found the turn in progress: the thread is failed
    /// with no failure record (the ghost force-fail), and the turn's workflows are cancelled.
    @Test func cancellingATurnNoPodRunsForceFailsIt() async throws {
        try await PodRouterFixture.test(profile: .hosted) { pod in
            let account = try await pod.createAccount()
            #expect(try await pod.send(.post, account.messages, headers: account.auth, body: account.body()).status == .accepted)
            let gate = try #require(try await pod.store.dequeue(kind: .gate, executor: "pod-gone"))
            let dispatch = try #require(
                try await pod.store.dispatchTurn(
                    gateId: gate.id, executor: "pod-gone", fence: "f1", startingFrame: HostedFrames.stage(.startingRun)))
            let child = try await pod.store.startChild(of: gate, fence: dispatch.fence)
            let answer = try await pod.send(.post, account.cancel, headers: account.auth)
            #expect(answer.status == .accepted)
            let thread = try #require(try await pod.store.thread(id: gate.threadId))
            #expect(thread.status == .failed)
            #expect(thread.hosted.failureKind == nil)
            #expect(thread.hosted.failureReason == nil)
            #expect(try await pod.store.workflow(id: gate.id)?.status == .cancelled)
            #expect(try await pod.store.workflow(id: child)?.status == .cancelled)
        }
    }

    // MARK: Queue

    @Test func theQueueListsWaitingTurnsAndCancelsOne() async throws {
        try await PodRouterFixture.test(profile: .hosted) { pod in
            let account = try await pod.createAccount()
            let queue = PodPath.queue(org: account.slug, thread: account.threadId)
            #expect(try await pod.send(.get, queue, headers: account.auth).errorBody().error == "This chat has not started a hosted run")
            for id in ["m1", "m2", "m3"] {
                #expect(try await pod.send(.post, account.messages, headers: account.auth, body: account.body(messageId: id)).status == .accepted)
            }
            let key = try #require(try await pod.store.thread(orgId: account.created.orgId, publicId: account.threadId)).id
            let head = try #require(try await pod.store.dequeue(kind: .gate, executor: "pod-gone"))
            let listed = try await pod.send(.get, queue, headers: account.auth)
            #expect(listed.status == .ok)
            #expect(try listed.decode(PodAPI.QueuedTurns.self).items.map(\.messageId) == ["m2", "m3"])
            let m2 = Store.WorkflowID.gate(threadId: key, messageId: "m2")
            let cancelled = try await pod.send(.post, account.cancelQueued(m2), headers: account.auth)
            #expect(cancelled.status == .accepted)
            #expect(try cancelled.decode(PodAPI.Cancelled.self) == PodAPI.Cancelled(cancelled: true))
            #expect(try await pod.store.workflow(id: m2)?.status == .cancelled)
            #expect(Set(try await pod.store.parts(threadId: key).compactMap(\.messageId)) == ["m1", "m3"], "the cancelled turn's user parts are gone")
            #expect(try await pod.send(.get, queue, headers: account.auth).decode(PodAPI.QueuedTurns.self).items.map(\.messageId) == ["m3"])
            for unknown in [m2, "thread-run:\(key):nope"] {
                let missing = try await pod.send(.post, account.cancelQueued(unknown), headers: account.auth)
                #expect(missing.status == .notFound, "\(unknown)")
                #expect(missing.body.readableBytes == 0)
            }
            let running = try await pod.send(.post, account.cancelQueued(head.id), headers: account.auth)
            #expect(running.status == .accepted, "the running head gets the whole cancel")
            #expect(try await pod.store.workflow(id: head.id)?.status == .cancelled)
            #expect(try await pod.store.thread(id: key)?.hosted.cancelRequestedAt != nil)
        }
    }

    @Test func theQueueIsTheCreatorsOnly() async throws {
        try await PodRouterFixture.test(profile: .hosted) { pod in
            let account = try await pod.createAccount()
            let foreign = try await account.thread(in: pod.store, id: "foreign", createdBy: "someone-else")
            for answer in [
                try await pod.send(.get, PodPath.queue(org: account.slug, thread: foreign), headers: account.auth),
                try await pod.send(.post, PodPath.cancelQueued(org: account.slug, thread: foreign, workflow: "w"), headers: account.auth),
            ] {
                #expect(answer.status == .forbidden)
                #expect(try answer.errorBody().error == "Not authorized")
            }
        }
    }

    // MARK: Stream

    @Test func streamStatuses() async throws {
        try await PodRouterFixture.test(profile: .hosted) { pod in
            let account = try await pod.createAccount()
            let pinned = try await account.thread(in: pod.store, id: "pinned", createdBy: account.created.userId)
            try await pod.store.execute("UPDATE thread SET harnessId = 'claude-code' WHERE publicId = '\(pinned)'")
            let other = try await pod.createAccount()
            let cases: [(thread: String, headers: HTTPFields, status: HTTPResponse.Status, message: String)] = [
                (account.threadId, [:], .unauthorized, "Missing bearer API key"),
                ("a.b", account.auth, .badRequest, "Invalid thread ID"),
                ("a b", account.auth, .badRequest, "Invalid thread ID"),
                ("missing", account.auth, .notFound, "Thread not found"),
                (other.threadId, account.auth, .notFound, "Thread not found"),
                (pinned, account.auth, .conflict, "This coding-agent chat can only run in the Studio desktop app"),
            ]
            for (thread, headers, status, message) in cases {
                let answer = try await pod.send(.get, PodPath.stream(org: account.slug, thread: thread), headers: headers)
                #expect(answer.status == status, "\(thread)")
                #expect(try answer.errorBody().error == message, "\(thread)")
            }
            try await pod.store.addBusFault(BusFaultKind.degrade.rawValue, pod: pod.podName, durationMillis: nil, count: nil)
            let degraded = try await pod.send(.get, account.stream, headers: account.auth)
            #expect(degraded.status == .noContent)
            #expect(degraded.body.readableBytes == 0)
        }
    }

    /// A thread not in progress: only what is published after the watcher attached, done markers
    /// swallowed, keepalives between; any org member may watch a thread it did not create.
    @Test func anIdleThreadsStreamDeliversOnlyNewMessages() async throws {
        try await PodRouterFixture.test(profile: .hosted, setup: .live) { pod in
            let account = try await pod.createAccount()
            let thread = try await account.thread(in: pod.store, id: "foreign", createdBy: "someone-else")
            #expect(try await pod.send(.post, account.messages(thread), headers: account.auth, body: account.body()).status == .forbidden)
            let key = try #require(try await pod.store.thread(orgId: account.created.orgId, publicId: thread)).id
            try await pod.store.publish([SubjectPublish(body: "{\"old\":1}")], threadId: key, pod: pod.podName, dedupWindowMillis: 1000)
            let feeds = try pod.subjectFeeds()
            let watch = try await SSEWatch.open(pod, PodPath.stream(org: account.slug, thread: thread), headers: account.auth)
            #expect(watch.statusCode == 200)
            #expect(watch.contentType == "text/event-stream")
            try await pod.store.publish(
                [
                    SubjectPublish(msgId: "\(key):f:1", fence: "f", seq: 1, body: "{\"type\":\"start\"}"),
                    SubjectPublish(msgId: "\(key):f:done:1", fence: "f", body: HostedFrames.done(finalSeq: 1)),
                    SubjectPublish(body: "{\"done\":true}"),
                    SubjectPublish(body: HostedFrames.stage(.waitingRunner)),
                ], threadId: key, pod: pod.podName, dedupWindowMillis: 1000)
            await feeds.signal(threadId: key)
            await feeds.tick()
            try await watch.waitUntil { $0.contains(.comment("keepalive")) && SSEWatch.data(in: $0).count == 2 }
            #expect(await watch.data == ["{\"type\":\"start\"}", HostedFrames.stage(.waitingRunner)])
            await feeds.closeAll()
            try await watch.waitUntilEnded()
        }
    }

    /// The stream never ends on its own: keepalives flow on every tick until the ticker stops (the
    /// pod's graceful shutdown), which ends it.
    @Test func keepalivesFlowUntilTheTickerStops() async throws {
        try await PodRouterFixture.test(profile: .hosted, setup: .live) { pod in
            let account = try await pod.createAccount()
            let feeds = try pod.subjectFeeds()
            let watch = try await SSEWatch.open(pod, account.stream, headers: account.auth)
            let ticker = Task { try await KeepaliveTicker(feeds: feeds, keepaliveMillis: 20).run() }
            try await watch.waitUntil { $0.filter { $0 == .comment("keepalive") }.count >= 3 }
            #expect(await !watch.ended)
            ticker.cancel()
            try await watch.waitUntilEnded()
            #expect(await watch.data.isEmpty)
        }
    }

    /// A thread in progress: every stored message is replayed first (done markers swallowed), then
    /// the live ones follow.
    @Test func anInProgressThreadsStreamReplaysItsSubject() async throws {
        try await PodRouterFixture.test(profile: .hosted, setup: .live) { pod in
            let account = try await pod.createAccount()
            #expect(try await pod.send(.post, account.messages, headers: account.auth, body: account.body()).status == .accepted)
            let key = try #require(try await pod.store.thread(orgId: account.created.orgId, publicId: account.threadId)).id
            try await pod.store.markRunStarted(threadId: key)
            try await pod.store.publish(
                [
                    SubjectPublish(body: HostedFrames.userMessage(id: "m1", text: "hi")),
                    SubjectPublish(msgId: "\(key):f:1", fence: "f", seq: 1, body: "{\"type\":\"start\"}"),
                    SubjectPublish(msgId: "\(key):f:done:1", fence: "f", body: HostedFrames.done(finalSeq: 1)),
                ], threadId: key, pod: pod.podName, dedupWindowMillis: 1000)
            let feeds = try pod.subjectFeeds()
            let watch = try await SSEWatch.open(pod, account.stream, headers: account.auth)
            #expect(watch.statusCode == 200)
            try await pod.store.publish([SubjectPublish(body: "{\"type\":\"live\"}")], threadId: key, pod: pod.podName, dedupWindowMillis: 1000)
            await feeds.signal(threadId: key)
            try await watch.waitUntil { $0.contains(.data("{\"type\":\"live\"}")) }
            #expect(
                await watch.data == [
                    HostedFrames.stage(.waitingRunner), HostedFrames.userMessage(id: "m1", text: "hi"), "{\"type\":\"start\"}",
                    "{\"type\":\"live\"}",
                ])
            #expect(await watch.events.contains(.data("{\"type\":\"start\"}", id: "\(key):f:1")), "a fenced frame carries its msgId")
            #expect(await watch.events.contains(.data(HostedFrames.stage(.waitingRunner))), "an unfenced frame carries no id")
            await feeds.closeAll()
            try await watch.waitUntilEnded()
        }
    }
}

// MARK: Helpers

extension Account {
    var stream: String { PodPath.stream(org: slug, thread: threadId) }
    var cancel: String { PodPath.cancel(org: slug, thread: threadId) }

    func messages(_ thread: String) -> String { PodPath.messages(org: slug, thread: thread) }
    func cancelQueued(_ workflow: String) -> String { PodPath.cancelQueued(org: slug, thread: threadId, workflow: workflow) }

    /// A hosted POST body with one message, as JSON text.
    func body(
        messageId: String = "m1", role: String = "user", threadId: String? = nil, memoryThreadId: String? = nil, tier: String? = nil,
        branch: String? = nil
    ) -> String {
        var members = [#""messages":[{"id":"\#(messageId)","role":"\#(role)","parts":[{"type":"text","text":"hi"}]}]"#]
        if let threadId { members.append(#""thread_id":"\#(threadId)""#) }
        if let memoryThreadId { members.append(#""memory":{"windowSize":50,"thread_id":"\#(memoryThreadId)"}"#) }
        if let tier { members.append(#""tier":"\#(tier)""#) }
        if let branch { members.append(#""branch":"\#(branch)","mode":"default","toolApprovalLevel":"auto","temperature":0.2"#) }
        return "{" + members.joined(separator: ",") + "}"
    }

    /// Another thread of the account's org on its agent, created in the store (so its creator can
    /// be someone else, or nobody, as for threads from before the hosted store).
    func thread(in store: Store, id: String, createdBy: String?) async throws -> String {
        guard case .created(let thread) = try await store.createThread(id: id, orgId: created.orgId, agentId: agentId, createdBy: createdBy) else {
            throw HostedTestFailure("thread \(id) exists")
        }
        return thread.publicId
    }
}

extension PodRouterFixture {
    func subjectFeeds() throws -> SubjectFeeds {
        try #require(engine as? HostedEngine).feeds
    }
}

extension Store {
    /// A raw write, for states no route produces (another harness, a legacy storage version).
    func execute(_ sql: String) async throws {
        _ = try await database.write(sql)
    }
}

private struct HostedTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A live `/stream` connection: the events read so far, until the server ends the stream.
private actor SSEWatch {
    let statusCode: UInt
    let contentType: String?
    private(set) var events: [SSEEvent] = []
    private(set) var ended = false
    private var reader: Task<Void, Never>?

    private init(statusCode: UInt, contentType: String?) {
        self.statusCode = statusCode
        self.contentType = contentType
    }

    static func open(_ pod: PodRouterFixture, _ path: String, headers: HTTPFields) async throws -> SSEWatch {
        let port = try #require(pod.client.port)
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        for field in headers { request.headers.add(name: field.name.rawName, value: field.value) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let watch = SSEWatch(statusCode: response.status.code, contentType: response.headers.first(name: "content-type"))
        await watch.read(response.body)
        return watch
    }

    private func read(_ body: HTTPClientResponse.Body) {
        reader = Task {
            var parser = SSEParser()
            do {
                for try await buffer in body { self.received(parser.feed(buffer.readableBytesView)) }
            } catch {}
            self.end()
        }
    }

    private func received(_ new: [SSEEvent]) { events += new }
    private func end() { ended = true }

    var data: [String] { Self.data(in: events) }

    static func data(in events: [SSEEvent]) -> [String] {
        events.compactMap { if case .data(let data, _) = $0 { data } else { nil } }
    }

    func waitUntil(_ condition: @Sendable ([SSEEvent]) -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition(events) {
            guard ContinuousClock.now < deadline, !ended else { throw HostedTestFailure("stream saw only \(events)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    func waitUntilEnded() async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !ended {
            guard ContinuousClock.now < deadline else { throw HostedTestFailure("the stream did not end") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
