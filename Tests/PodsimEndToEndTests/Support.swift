import Foundation
import PodsimClient
import PodsimCluster
import PodsimModel
import PodsimStore
import Testing

/// The podsim binary built next to this test bundle (or `PODSIM_BINARY`).
func podsimBinary() throws -> String {
    if let path = ProcessInfo.processInfo.environment["PODSIM_BINARY"] { return path }
    let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var directory = URL(fileURLWithPath: me).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = directory.appendingPathComponent("podsim").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    throw SupportError("podsim binary not found next to \(me); build it first (swift build) or set PODSIM_BINARY")
}

struct SupportError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Boots a real cluster (real processes, sockets and SQLite file) for one test and always
/// shuts it down; its state directory is removed unless the test failed.
func withCluster<T>(
    pods: Int = 3, environment: [String: String] = [:], bugs: Set<BugSwitch> = [], timings: PodTimings = .init(),
    _ body: (TestCluster) async throws -> T
) async throws -> T {
    let spec = ClusterSpec(pods: pods, environment: environment, bugs: bugs, timings: timings, executable: try podsimBinary())
    let cluster = try await Cluster.boot(spec)
    let test = TestCluster(cluster: cluster, pods: await cluster.podURLs, mockAI: await cluster.mockAIURL)
    do {
        let result = try await body(test)
        await cluster.shutdown()
        try? FileManager.default.removeItem(atPath: cluster.stateDirectory)
        return result
    } catch {
        await cluster.shutdown()
        print("kept the failed test's cluster state in \(cluster.stateDirectory)")
        throw error
    }
}

/// An account (org, user, API key) created through a pod.
struct Account: Sendable {
    var orgSlug: String
    var userId: String
    var apiKey: String
    var auth: [String: String] { ["authorization": "Bearer \(apiKey)"] }
}

/// A cluster seen from a test: pod URLs and helpers for the setup calls the real suite makes.
struct TestCluster: Sendable {
    let cluster: Cluster
    let pods: [String]
    let mockAI: String

    func pod(_ number: Int) -> String { pods[number - 1] }

    func bootstrap(on pod: Int = 1) async throws -> Account {
        let created = try await HTTPExchange.send("POST", self.pod(pod) + "/api/orgs", body: #"{"name":"Test Org"}"#)
        #expect(created.status == 201, "POST /api/orgs: \(created.body)")
        guard let json = created.json, let slug = json["orgSlug"]?.stringValue, let user = json["userId"]?.stringValue,
            let key = json["apiKey"]?.stringValue
        else { throw SupportError("unexpected org body \(created.body)") }
        return Account(orgSlug: slug, userId: user, apiKey: key)
    }

    /// Creates an agent and a thread; returns the thread id and agent id.
    func thread(for account: Account, on pod: Int = 1, id: String? = nil) async throws -> (thread: String, agent: String) {
        let agent = try await HTTPExchange.send(
            "POST", self.pod(pod) + "/api/\(account.orgSlug)/agents", headers: account.auth, body: #"{"title":"helper"}"#)
        guard agent.status == 201, let agentId = agent.json?["id"]?.stringValue else { throw SupportError("agent: \(agent.body)") }
        let idField = id.map { #""id":"\#($0)","# } ?? ""
        let thread = try await HTTPExchange.send(
            "POST", self.pod(pod) + "/api/\(account.orgSlug)/threads", headers: account.auth,
            body: #"{\#(idField)"agentId":"\#(agentId)"}"#)
        guard thread.status == 201, let threadId = thread.json?["id"]?.stringValue else { throw SupportError("thread: \(thread.body)") }
        return (threadId, agentId)
    }

    static func messageBody(text: String, agent: String, messageId: String = UUID().uuidString, extra: String = "") -> String {
        #"{"messages":[{"id":"\#(messageId)","role":"user","parts":[{"type":"text","text":"\#(text)"}]}],"agent":{"id":"\#(agent)"}\#(extra)}"#
    }

    func post(_ text: String, thread: String, agent: String, account: Account, on pod: Int = 1, extra: String = "") async throws -> HTTPExchange {
        try await HTTPExchange.send(
            "POST", self.pod(pod) + "/api/\(account.orgSlug)/decopilot/threads/\(thread)/messages", headers: account.auth,
            body: Self.messageBody(text: text, agent: agent, extra: extra))
    }

    func attach(thread: String, account: Account, on pod: Int) async -> StreamWatcher {
        await StreamWatcher.attach(url: self.pod(pod) + "/api/\(account.orgSlug)/decopilot/threads/\(thread)/stream", headers: account.auth)
    }

    /// The thread as a pod reports it; without `pod`, the first pod that answers (others may be
    /// killed or paused by the test).
    func threadState(_ thread: String, account: Account, on pod: Int? = nil) async throws -> JSONValue {
        var lastError: any Error = SupportError("no pod answered")
        for number in pod.map({ [$0] }) ?? Array(1...pods.count) {
            do {
                let response = try await HTTPExchange.send(
                    "GET", self.pod(number) + "/api/\(account.orgSlug)/threads/\(thread)", headers: account.auth, timeout: .seconds(1))
                guard response.status == 200, let json = response.json else {
                    throw SupportError("GET thread: \(response.status) \(response.body)")
                }
                return json
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    /// Polls the thread until `condition` holds, or fails after `timeout`.
    @discardableResult
    func waitForThread(
        _ thread: String, account: Account, timeout: Duration = .seconds(15), _ condition: (JSONValue) -> Bool
    ) async throws -> JSONValue {
        let deadline = ContinuousClock.now + timeout
        var last: JSONValue = .null
        while ContinuousClock.now < deadline {
            last = try await threadState(thread, account: account)
            if condition(last) { return last }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw SupportError("thread \(thread) never reached the expected state; last: \(last)")
    }

    func providerCalls(thread: String) async throws -> Int {
        let response = try await HTTPExchange.send("GET", mockAI + "/control/calls/count?thread=\(thread)")
        guard let count = response.json?["count"]?.numberValue else { throw SupportError("call count: \(response.body)") }
        return Int(count)
    }
}

extension JSONValue {
    /// The thread's current run has completed. A thread's `status` alone is not enough: a new
    /// thread is already `completed` before its first run is claimed.
    var runCompleted: Bool {
        self["status"]?.stringValue == "completed" && self["currentRun"]?["state"]?.stringValue == "completed"
    }
}

extension Array where Element == String {
    /// Payloads whose text contains `needle`.
    func count(containing needle: String) -> Int { filter { $0.contains(needle) }.count }
}

extension TestCluster {
    /// Waits until the thread runs on some pod and returns that pod's number.
    func owner(of thread: String, account: Account, attempt: Int = 1) async throws -> Int {
        let state = try await waitForThread(thread, account: account) {
            $0["status"]?.stringValue == "in_progress" && $0["currentRun"]?["attempt"]?.numberValue == Double(attempt)
        }
        guard let name = state["runOwnerPod"]?.stringValue, let number = Int(name.dropFirst("pod-".count)) else {
            throw SupportError("no owner in \(state)")
        }
        return number
    }

    func podName(_ number: Int) -> String { "pod-\(number)" }

    /// Runs a read-only SQL query against the cluster's store file.
    func query(_ sql: String, _ arguments: [String] = []) async throws -> [[String: String?]] {
        try await Store.open(at: cluster.storePath).query(sql, arguments: arguments)
    }

    func release(gate: String) async throws {
        let released = try await HTTPExchange.send("POST", mockAI + "/control/gates/\(gate)/release")
        #expect(released.status == 200)
    }
}

/// The `t<ms>` stamps of the chunks in `payloads` (the mock's `stamp` hint).
func stamps(_ payloads: [String]) -> [Int64] {
    payloads.compactMap { payload -> Int64? in
        guard let range = payload.range(of: #"\bt\d{10,} chunk-"#, options: .regularExpression) else { return nil }
        return Int64(payload[range].dropFirst().prefix { $0.isNumber })
    }
}

/// Holds for `window`, polling: the value must equal `expected` every time it is read.
func expectStable<T: Equatable & Sendable>(
    for window: Duration, every interval: Duration = .milliseconds(100), _ expected: T, _ read: () async throws -> T,
    sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    let deadline = ContinuousClock.now + window
    while ContinuousClock.now < deadline {
        let value = try await read()
        #expect(value == expected, sourceLocation: sourceLocation)
        if value != expected { return }
        try await Task.sleep(for: interval)
    }
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration, every interval: Duration = .milliseconds(50), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: interval)
    }
    return try await condition()
}
