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

    /// A pod client for `pod`, calling as `account` when given.
    func client(_ pod: Int = 1, as account: Account? = nil) -> PodClient {
        PodClient(url: self.pod(pod), credential: account.map { .apiKey($0.apiKey) })
    }

    func bootstrap(on pod: Int = 1) async throws -> Account {
        let created = try await client(pod).createOrg(name: "Test Org")
        return Account(orgSlug: created.orgSlug, userId: created.userId, apiKey: created.apiKey)
    }

    /// Creates an agent and a thread; returns the thread id and agent id.
    func thread(for account: Account, on pod: Int = 1, id: String? = nil) async throws -> (thread: String, agent: String) {
        let client = client(pod, as: account)
        let agent = try await client.createAgent(org: account.orgSlug, title: "helper").id
        let thread = try await client.createThread(org: account.orgSlug, agentId: agent, id: id).id
        return (thread, agent)
    }

    /// Posts one user message; the answer, or the pod's refusal, comes back as an exchange.
    func post(
        _ text: String, thread: String, agent: String, account: Account, on pod: Int = 1, sandboxProviderKind: String? = nil
    ) async throws -> HTTPExchange {
        let body = MessagesRequest(text: text, agentId: agent, sandboxProviderKind: sandboxProviderKind)
        let client = client(pod, as: account)
        return try await HTTPExchange.of { try await client.call(PodEndpoint.postMessage(org: account.orgSlug, thread: thread, body)) }
    }

    func attach(thread: String, account: Account, on pod: Int) async -> StreamWatcher {
        await client(pod, as: account).attach(org: account.orgSlug, thread: thread)
    }

    /// The thread as a pod reports it; without `pod`, the first pod that answers (others may be
    /// killed or paused by the test).
    func threadState(_ thread: String, account: Account, on pod: Int? = nil) async throws -> JSONValue {
        var lastError: any Error = SupportError("no pod answered")
        for number in pod.map({ [$0] }) ?? Array(1...pods.count) {
            do {
                let view = try await client(number, as: account).timeout(.seconds(1)).thread(org: account.orgSlug, id: thread)
                return try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(view))
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
        try await MockAIControlClient(url: mockAI).callCount(thread: thread)
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
        try await Store.open(at: cluster.storePath, clock: wallClockMillis).query(sql, arguments: arguments)
    }

    func release(gate: String) async throws {
        try await MockAIControlClient(url: mockAI).release(gate: gate)
    }
}

/// The `t<ms>` stamps of the chunks in `payloads` (the mock's `stamp` hint).
func stamps(_ payloads: [String]) -> [Int64] {
    payloads.compactMap { payload -> Int64? in
        guard let range = payload.range(of: #"\bt\d{10,} chunk-"#, options: .regularExpression) else { return nil }
        return Int64(payload[range].dropFirst().prefix { $0.isNumber })
    }
}

/// The pod's refusal of a call, or nil when it succeeded (any other failure is thrown).
func refusal<T>(_ call: () async throws -> T) async throws -> PodAPIError? {
    do {
        _ = try await call()
        return nil
    } catch let refusal as PodAPIError {
        return refusal
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

/// Whether `work` ended (successfully) before `limit` passed. It is cancelled then, and not
/// waited for: a call stuck on a lock the test is about to free must not hold the test.
func finishes(within limit: Duration, _ work: @escaping @Sendable () async throws -> Void) async -> Bool {
    let (outcomes, outcome) = AsyncStream.makeStream(of: Bool.self)
    let worker = Task { outcome.yield((try? await work()) != nil) }
    let timer = Task {
        try? await Task.sleep(for: limit)
        outcome.yield(false)
    }
    var first = outcomes.makeAsyncIterator()
    let finished = await first.next() ?? false
    timer.cancel()
    worker.cancel()
    return finished
}
