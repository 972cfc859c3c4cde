import Foundation
import PodsimClient
import PodsimModel
import Testing

/// End-to-end tests run one real cluster at a time: the machine has two cores.
@Suite(.serialized) struct EndToEnd {}

extension EndToEnd {
    @Suite struct ClusterRuntime {
        @Test func attachCrossPodSeesChunkOneOnEveryPod() async throws {
            try await withCluster(environment: ["STUDIO_SANDBOX_RUNNER": "docker"]) { cluster in
                let account = try await cluster.bootstrap()
                let (thread, agent) = try await cluster.thread(for: account)
                let posted = try await cluster.post("slow:5x500", thread: thread, agent: agent, account: account, on: 1)
                #expect(posted.status == 202)
                #expect(posted.json?["taskId"]?.stringValue == thread)

                let first = await cluster.attach(thread: thread, account: account, on: 1)
                #expect(await first.status == 200)
                #expect(await first.wait(timeout: .seconds(15)) { $0.count(containing: "chunk-1 ") == 1 })
                let second = await cluster.attach(thread: thread, account: account, on: 2)
                let third = await cluster.attach(thread: thread, account: account, on: 3)
                for watcher in [second, third] {
                    #expect(await watcher.wait(timeout: .seconds(15)) { $0.count(containing: "chunk-1 ") == 1 })
                }
                #expect(try await cluster.threadState(thread, account: account)["status"]?.stringValue == "in_progress")

                let done = try await cluster.waitForThread(thread, account: account) { $0.runCompleted }
                let parts = try #require(done["partCount"]?.numberValue)
                #expect(parts == 2, "one user text part and one assistant text part")
                let deadline = ContinuousClock.now + .seconds(1)
                while ContinuousClock.now < deadline {
                    #expect(try await cluster.threadState(thread, account: account)["partCount"]?.numberValue == parts)
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(try await cluster.providerCalls(thread: thread) == 1)
                for watcher in [first, second, third] {
                    #expect(await watcher.wait(timeout: .seconds(5)) { $0.contains(#"{"type":"finish"}"#) })
                    let payloads = await watcher.payloads
                    for index in 1...5 { #expect(payloads.count(containing: "chunk-\(index) ") == 1) }
                    await watcher.close()
                }
            }
        }

        @Test func postAnswers202WithDockerRunnerAndNoLinkDaemon() async throws {
            try await withCluster(pods: 2, environment: ["STUDIO_SANDBOX_RUNNER": "docker"]) { cluster in
                let account = try await cluster.bootstrap(on: 2)
                let (thread, agent) = try await cluster.thread(for: account, on: 2)
                let posted = try await cluster.post("hello", thread: thread, agent: agent, account: account, on: 2)
                #expect(posted.status == 202)
                let done = try await cluster.waitForThread(thread, account: account) { $0.runCompleted }
                #expect(done["sandboxProviderKind"]?.stringValue == "docker")
                #expect(done["sandboxCount"]?.numberValue == 0, "a run without VM tools provisions no sandbox")
            }
        }

        @Test func postWithoutRunnerOrLinkIsRefusedWithLinkOffline() async throws {
            try await withCluster(pods: 1) { cluster in
                let account = try await cluster.bootstrap()
                let (thread, agent) = try await cluster.thread(for: account)
                let posted = try await cluster.post("hello", thread: thread, agent: agent, account: account)
                #expect(posted.status == 409)
                #expect(posted.json == ["error": "link_unavailable", "code": "link_offline"])
                let explicit = try await cluster.post(
                    "hello", thread: thread, agent: agent, account: account, sandboxProviderKind: "agent-sandbox")
                #expect(explicit.status == 202)
            }
        }

        @Test func everyValidationErrorIsA4xxAndNoPodCrashes() async throws {
            try await withCluster(pods: 2, environment: ["STUDIO_SANDBOX_RUNNER": "docker"]) { cluster in
                let account = try await cluster.bootstrap()
                let other = try await cluster.bootstrap(on: 2)
                let (thread, agent) = try await cluster.thread(for: account)
                let base = cluster.pod(1) + "/api/\(account.orgSlug)"
                let messages = base + "/decopilot/threads/\(thread)/messages"
                let body = MessagesRequest(text: "hi", agentId: agent).json
                let cases: [(String, String, String, [String: String], String?, Int)] = [
                    ("thread id with a dot", "POST", base + "/decopilot/threads/bad.id/messages", account.auth, body, 400),
                    ("thread id with a star", "POST", base + "/decopilot/threads/bad*id/messages", account.auth, body, 400),
                    ("thread id with >", "POST", base + "/decopilot/threads/bad%3Eid/messages", account.auth, body, 400),
                    ("thread id with a space", "POST", base + "/decopilot/threads/bad%20id/messages", account.auth, body, 400),
                    ("body thread_id differs", "POST", messages, account.auth,
                        MessagesRequest(messages: MessagesRequest(text: "hi", agentId: agent).messages, agent: .init(id: agent), threadId: "other").json, 400),
                    ("no user message", "POST", messages, account.auth,
                        MessagesRequest(messages: [.init(id: "a", role: "assistant", parts: [])], agent: .init(id: agent)).json, 400),
                    ("malformed JSON", "POST", messages, account.auth, #"{"messages": [ "#, 400),
                    ("wrong JSON types", "POST", messages, account.auth, #"{"messages": 3, "agent": {"id": 1}}"#, 400),
                    ("empty body", "POST", messages, account.auth, nil, 400),
                    ("unknown provider kind", "POST", messages, account.auth,
                        MessagesRequest(text: "hi", agentId: agent, sandboxProviderKind: "vm").json, 400),
                    ("unknown org", "POST", cluster.pod(1) + "/api/no-such-org/decopilot/threads/\(thread)/messages", account.auth, body, 404),
                    ("missing key", "POST", messages, [:], body, 401),
                    ("invalid key", "POST", messages, ["authorization": "Bearer nope"], body, 401),
                    ("key of another org", "POST", messages, other.auth, body, 403),
                    ("unknown thread", "POST", base + "/decopilot/threads/no-such-thread/messages", account.auth, body, 404),
                    ("stream of unknown thread", "GET", base + "/decopilot/threads/no-such-thread/stream", account.auth, nil, 404),
                    ("get unknown thread", "GET", base + "/threads/no-such-thread", account.auth, nil, 404),
                    ("org without name", "POST", cluster.pod(1) + "/api/orgs", [:], #"{"slug":"x"}"#, 400),
                    ("agent without title", "POST", base + "/agents", account.auth, #"{}"#, 400),
                    ("thread of unknown agent", "POST", base + "/threads", account.auth, #"{"agentId":"nope"}"#, 404),
                    ("get-session without cookie", "GET", cluster.pod(1) + "/api/auth/get-session", [:], nil, 401),
                ]
                for (name, method, url, headers, requestBody, expected) in cases {
                    let response = try await HTTPExchange.send(method, url, headers: headers, body: requestBody)
                    #expect(response.status == expected, "\(name): \(response.status) \(response.body)")
                    #expect(response.json?["error"]?.stringValue?.isEmpty == false, "\(name) has a JSON error: \(response.body)")
                }
                for pod in cluster.pods {
                    #expect(try await HTTPExchange.send("GET", pod + "/health/live").status == 200)
                }
                #expect(try await cluster.threadState(thread, account: account)["runCount"]?.numberValue == 0)
            }
        }

        @Test func sessionsAndKeysWorkOnEveryPod() async throws {
            try await withCluster { cluster in
                let account = try await cluster.bootstrap(on: 3)
                let signedIn = try await cluster.client(1, as: account).signIn()
                #expect(signedIn.view.user.id == account.userId)
                let session = cluster.client().calling(as: .cookie(signedIn.cookie))
                for pod in cluster.pods {
                    #expect(try await session.on(pod).session().user.id == account.userId)
                }
                #expect(try await session.on(cluster.pod(2)).signOut().ok)
                for pod in cluster.pods {
                    let refused = try await refusal { try await session.on(pod).session() }
                    #expect(refused?.status == 401, "\(pod) still knows the session")
                    #expect(refused?.body?.error.isEmpty == false, "the refusal carries the pod's JSON error")
                }
            }
        }

        @Test func readinessReportsTheStore() async throws {
            try await withCluster(pods: 1) { cluster in
                let ready = try await cluster.client().ready()
                #expect(ready == .init(status: "ready", services: ["store": .init(status: "up")]))
            }
        }
    }
}
