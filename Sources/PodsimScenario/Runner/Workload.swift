import Foundation
import PodsimClient
import PodsimCluster
import PodsimModel

/// What a scenario's clients do, Jepsen's workload: the callers, agents, threads and watchers
/// its steps made, and every call to the pods through `PodClient` (the `request` step alone is a
/// raw exchange, since scenarios may send malformed bodies on purpose). It records; it never
/// judges: checks read what it returns.
actor Workload {
    /// A caller made by `bootstrap`: an org, its user, an API key and a signed-in session cookie.
    struct Caller: Sendable {
        var org: PodAPI.OrgCreated
        var cookie: String

        var orgSlug: String { org.orgSlug }
        var apiKey: String { org.apiKey }
    }

    struct ThreadRef: Sendable {
        var id: String
        var agentId: String
        var caller: String
    }

    /// Why a call failed, worded for a step's report.
    struct Refusal: Error {
        var expected: String
        var actual: String
    }

    private let cluster: Cluster
    private var callers: [String: Caller] = [:]
    private var agents: [String: String] = [:]
    private var threads: [String: ThreadRef] = [:]
    private var watchers: [String: StreamWatcher] = [:]

    init(cluster: Cluster) {
        self.cluster = cluster
    }

    // MARK: Names

    /// The caller named `name`; the empty name is the scenario's only one.
    func caller(_ name: String) -> Caller? {
        name.isEmpty && callers.count == 1 ? callers.values.first : callers[name]
    }

    func agent(_ name: String) -> String? { agents[name] }
    func thread(_ name: String) -> ThreadRef? { threads[name] }
    func watcher(_ name: String) -> StreamWatcher? { watchers[name] }

    /// A client of the pod at `url`, calling as `caller` with its API key.
    private func client(_ url: String, _ caller: Caller) -> PodClient {
        PodClient(url: url, credential: .apiKey(caller.org.apiKey))
    }

    // MARK: Setup

    /// Creates an org on the pod at `url` and signs its user in.
    func bootstrap(_ name: String, on url: String) async throws -> Caller {
        let pod = PodClient(url: url)
        let org: PodAPI.OrgCreated
        do {
            org = try await pod.createOrg(name: "\(name) org")
        } catch {
            throw Refusal(expected: "POST /api/orgs to answer 201 with an org", actual: "\(error)")
        }
        do {
            let cookie = try await pod.calling(as: .apiKey(org.apiKey)).signIn().cookie
            let caller = Caller(org: org, cookie: cookie)
            callers[name] = caller
            return caller
        } catch {
            throw Refusal(expected: "sign-in to answer 200 with a session cookie", actual: "\(error)")
        }
    }

    func createAgent(_ name: String, caller: Caller, on url: String, title: String) async throws -> String {
        let id = try await created(PodEndpoint.createAgent(org: caller.orgSlug, title: title), on: url, caller: caller) { $0.id }
        agents[name] = id
        return id
    }

    func createThread(_ name: String, caller: Caller, callerName: String, agentId: String, on url: String, id: String?) async throws -> String {
        let endpoint = PodEndpoint.createThread(org: caller.orgSlug, agentId: agentId, id: id)
        let created = try await created(endpoint, on: url, caller: caller) { $0.id }
        threads[name] = ThreadRef(id: created, agentId: agentId, caller: callerName)
        return created
    }

    private func created<Value>(_ endpoint: Endpoint<Value>, on url: String, caller: Caller, id: (Value) -> String) async throws -> String {
        do {
            return id(try await client(url, caller).call(endpoint).value)
        } catch {
            throw Refusal(expected: "\(endpoint.method.rawValue) \(url)\(endpoint.path) to answer 201 with an id", actual: "\(error)")
        }
    }

    // MARK: Calls

    /// Posts one user message; the answer, or the pod's refusal, comes back as an exchange the
    /// step's expectations judge.
    func send(_ body: MessagesRequest, thread: ThreadRef, caller: Caller, on url: String) async throws -> HTTPExchange {
        let client = client(url, caller)
        return try await HTTPExchange.of { try await client.call(PodEndpoint.postMessage(org: caller.orgSlug, thread: thread.id, body)) }
    }

    /// The `request` step: whatever the scenario wrote, sent as written.
    func request(_ method: String, _ url: String, headers: [String: String], body: String?) async throws -> HTTPExchange {
        try await HTTPExchange.send(method, url, headers: headers, body: body)
    }

    /// Attaches a watcher (replacing one of the same name); a stream that does not answer 200
    /// is closed and reported.
    func attach(_ name: String, thread: ThreadRef, caller: Caller, on url: String) async throws {
        if let previous = watchers.removeValue(forKey: name) { await previous.close() }
        let watcher = await client(url, caller).attach(org: caller.orgSlug, thread: thread.id)
        let status = await watcher.status
        guard status == 200 else {
            let failure = await watcher.failure
            await watcher.close()
            throw Refusal(expected: "the stream to answer 200", actual: status.map { "status \($0)" } ?? (failure ?? "no answer"))
        }
        watchers[name] = watcher
    }

    /// Detaches a watcher; false when there was none of that name.
    func detach(_ name: String) async -> Bool {
        guard let watcher = watchers.removeValue(forKey: name) else { return false }
        await watcher.close()
        return true
    }

    /// Detaches every watcher still open.
    func closeWatchers() async {
        for watcher in watchers.values { await watcher.close() }
        watchers.removeAll()
    }

    // MARK: Observations

    /// What a watcher received so far, decoded; nil when no watcher of that name is attached.
    func transcript(of name: String) async -> Transcript? {
        guard let watcher = watchers[name] else { return nil }
        return .stream(await watcher.payloads, ended: await watcher.ended, failure: await watcher.failure)
    }

    /// The thread as a pod reports it; without a pod, the first running one that answers
    /// (others may be killed or paused by the scenario).
    func threadView(_ thread: ThreadRef, caller: Caller, on url: String?) async throws -> JSONValue {
        let candidates: [String]
        if let url {
            candidates = [url]
        } else {
            candidates = await cluster.processList().filter { $0.role == .pod && $0.state == .running }.map(\.url)
        }
        let client = PodClient(url: "", credential: .apiKey(caller.apiKey), timeout: .seconds(1))
        var lastError = "no pod is running"
        for candidate in candidates {
            do {
                return try JSONValue(encoding: try await client.on(candidate).thread(org: caller.orgSlug, id: thread.id))
            } catch {
                lastError = "\(error)"
            }
        }
        throw Refusal(expected: "GET \(PodPath.thread(org: caller.orgSlug, id: thread.id)) to answer 200", actual: lastError)
    }

    /// How many times the thread's runs called the model.
    func providerCalls(_ thread: ThreadRef) async throws -> Int {
        try await MockAIControlClient(url: await cluster.mockAIURL).callCount(thread: thread.id)
    }

    func releaseGate(_ name: String) async throws {
        try await MockAIControlClient(url: await cluster.mockAIURL).release(gate: name)
    }
}

extension JSONValue {
    /// A typed body as JSON, so checks can name its fields the way scenarios do.
    init(encoding value: some Encodable) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
    }
}
