import Foundation
import PodsimClient
import PodsimCluster
import PodsimModel

/// What a scenario's clients do, Jepsen's workload: the callers, agents, threads and watchers
/// its steps made, and every call to the pods through `PodClient` (the `request` step alone is a
/// raw exchange, since scenarios may send malformed bodies on purpose). It records every call
/// and every watcher in the run's history; it never judges: checks read what it returns.
actor Workload {
    /// A caller made by `bootstrap`: an org, its user, an API key and a signed-in session cookie.
    struct Caller: Sendable {
        var name: String
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

    /// A watcher as the history names it: its scenario name, pod and thread.
    struct NamedWatcher: Sendable {
        var name: String
        var process: String
        var thread: String
        var caller: String
        var watcher: StreamWatcher
    }

    private let cluster: any ClusterHandle
    private let recorder: HistoryRecorder
    private var callers: [String: Caller] = [:]
    private var agents: [String: String] = [:]
    private var threads: [String: ThreadRef] = [:]
    private var watchers: [String: NamedWatcher] = [:]
    /// Every watcher ever attached, detached ones included, in attach order: the history's deliveries.
    private(set) var allWatchers: [NamedWatcher] = []
    /// Process names by base URL, for the history.
    private var processNames: [String: String] = [:]

    init(cluster: any ClusterHandle, recorder: HistoryRecorder) {
        self.cluster = cluster
        self.recorder = recorder
    }

    // MARK: Names

    /// The caller named `name`; the empty name is the scenario's only one.
    func caller(_ name: String) -> Caller? {
        name.isEmpty && callers.count == 1 ? callers.values.first : callers[name]
    }

    func agent(_ name: String) -> String? { agents[name] }
    func thread(_ name: String) -> ThreadRef? { threads[name] }

    /// Every caller, for naming the store's session events in the history.
    var allCallers: [Caller] { Array(callers.values) }

    /// The pods running now (not paused, stopped or exited), in number order: pod-1, pod-2, …
    func runningPods() async -> [String] {
        let pods = await cluster.processList().filter { $0.role == .pod && $0.state == .running }.map(\.name)
        return pods.sorted { (Int($0.dropFirst("pod-".count)) ?? .max, $0) < (Int($1.dropFirst("pod-".count)) ?? .max, $1) }
    }

    /// The name of the process serving `url` (`pod-2`, `mock-ai`), or the URL itself.
    func processName(_ url: String) async -> String {
        if let name = processNames[url] { return name }
        for info in await cluster.processList() { processNames[info.url] = info.name }
        return processNames[url] ?? url
    }

    // MARK: Recording

    /// Makes one call and records it in the history: when it started and ended, which process
    /// answered what. `success` reads the status of an answer that did not throw.
    private func recorded<Value>(
        _ op: String, _ method: String, _ url: String, _ path: String, caller: String?, thread: String? = nil, message: String? = nil,
        success: (Value) -> Int, _ call: () async throws -> Value
    ) async throws -> Value {
        var event = recorder.now(.request)
        event.op = op
        event.method = method
        event.path = path
        event.caller = caller
        event.thread = thread
        event.message = message
        event.process = await processName(url)
        do {
            let value = try await call()
            let status = success(value)
            event.status = status
            if status >= 400, let exchange = value as? HTTPExchange { event.error = String(exchange.body.prefix(2000)) }
            await recorder.close(event)
            return value
        } catch let refusal as any RefusedCall {
            event.status = refusal.status
            event.error = String(refusal.text.prefix(2000))
            await recorder.close(event)
            throw refusal
        } catch {
            event.error = "\(error)"
            await recorder.close(event)
            throw error
        }
    }

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
            org = try await recorded("bootstrap", "POST", url, PodPath.orgs, caller: name, success: { _ in 201 }) {
                try await pod.createOrg(name: "\(name) org")
            }
        } catch {
            throw Refusal(expected: "POST /api/orgs to answer 201 with an org", actual: "\(error)")
        }
        do {
            let cookie = try await recorded("sign-in", "POST", url, PodPath.signIn, caller: name, success: { _ in 200 }) {
                try await pod.calling(as: .apiKey(org.apiKey)).signIn().cookie
            }
            let caller = Caller(name: name, org: org, cookie: cookie)
            callers[name] = caller
            return caller
        } catch {
            throw Refusal(expected: "sign-in to answer 200 with a session cookie", actual: "\(error)")
        }
    }

    func createAgent(_ name: String, caller: Caller, on url: String, title: String) async throws -> String {
        let id = try await created("create-agent", PodEndpoint.createAgent(org: caller.orgSlug, title: title), on: url, caller: caller) { $0.id }
        agents[name] = id
        return id
    }

    func createThread(_ name: String, caller: Caller, callerName: String, agentId: String, on url: String, id: String?) async throws -> String {
        let endpoint = PodEndpoint.createThread(org: caller.orgSlug, agentId: agentId, id: id)
        let created = try await created("create-thread", endpoint, on: url, caller: caller) { $0.id }
        threads[name] = ThreadRef(id: created, agentId: agentId, caller: callerName)
        return created
    }

    private func created<Value>(
        _ op: String, _ endpoint: Endpoint<Value>, on url: String, caller: Caller, id: (Value) -> String
    ) async throws -> String {
        do {
            let answer = try await recorded(op, endpoint.method.rawValue, url, endpoint.path, caller: caller.name, success: \.status) {
                try await client(url, caller).call(endpoint)
            }
            return id(answer.value)
        } catch {
            throw Refusal(expected: "\(endpoint.method.rawValue) \(url)\(endpoint.path) to answer 201 with an id", actual: "\(error)")
        }
    }

    // MARK: Calls

    /// Posts one user message; the answer, or the pod's refusal, comes back as an exchange the
    /// step's expectations judge.
    func send(_ body: MessagesRequest, thread: ThreadRef, caller: Caller, on url: String) async throws -> HTTPExchange {
        let client = client(url, caller)
        let endpoint = PodEndpoint.postMessage(org: caller.orgSlug, thread: thread.id, body)
        return try await recorded(
            "send", endpoint.method.rawValue, url, endpoint.path, caller: caller.name, thread: thread.id, message: body.messages.last?.id, success: \.status
        ) {
            try await HTTPExchange.of { try await client.call(endpoint) }
        }
    }

    /// The `request` step: whatever the scenario wrote, sent as written to `path` on the process
    /// at `base`. `caller` names who sent it; a cookie of a known caller names its owner.
    func request(_ method: String, base: String, path: String, caller: String?, headers: [String: String], body: String?) async throws -> HTTPExchange {
        let cookie = headers.first { $0.key.lowercased() == "cookie" }?.value
        let owner = caller ?? cookie.flatMap { cookie in callers.values.first { $0.cookie == cookie }?.name }
        return try await recorded("request", method.uppercased(), base, path, caller: owner, thread: Self.thread(inPath: path), success: \.status) {
            try await HTTPExchange.send(method, base + path, headers: headers, body: body)
        }
    }

    /// The thread id a pod API path names (`…/threads/<id>…`, `…/cancel/<id>`), decoded, if any.
    static func thread(inPath path: String) -> String? {
        let components = path.split(separator: "?").first.map { $0.split(separator: "/").map(String.init) } ?? []
        for marker in ["threads", "cancel"] {
            if let index = components.firstIndex(of: marker), index + 1 < components.count {
                return components[index + 1].removingPercentEncoding ?? components[index + 1]
            }
        }
        return nil
    }

    /// Attaches a watcher (replacing one of the same name). The stream must answer 200, or a
    /// status `expected` matches; a stream that answers otherwise is closed and reported, and one
    /// that answers as expected but not 2xx is closed too (no watcher is kept).
    func attach(_ name: String, thread: ThreadRef, caller: Caller, on url: String, expecting expected: StatusExpectation? = nil) async throws {
        if let previous = watchers.removeValue(forKey: name) { await previous.watcher.close() }
        let watcher = await client(url, caller).attach(org: caller.orgSlug, thread: thread.id)
        let named = NamedWatcher(name: name, process: await processName(url), thread: thread.id, caller: caller.name, watcher: watcher)
        allWatchers.append(named)
        let wanted = expected ?? .exactly(200)
        let status = await watcher.status
        guard let answered = status, wanted.matches(answered) else {
            let failure = await watcher.failure
            await watcher.close()
            throw Refusal(expected: "the stream to answer with \(wanted)", actual: status.map { "status \($0)" } ?? (failure ?? "no answer"))
        }
        guard (200...299).contains(answered) else { return await watcher.close() }
        watchers[name] = named
    }

    /// Detaches a watcher; false when there was none of that name.
    func detach(_ name: String) async -> Bool {
        guard let named = watchers.removeValue(forKey: name) else { return false }
        await named.watcher.close()
        return true
    }

    /// Detaches every watcher still open.
    func closeWatchers() async {
        for named in watchers.values { await named.watcher.close() }
        watchers.removeAll()
    }

    // MARK: Observations

    /// What a watcher received so far, decoded; nil when no watcher of that name is attached.
    func transcript(of name: String) async -> Transcript? {
        guard let watcher = watchers[name]?.watcher else { return nil }
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
        let path = PodPath.thread(org: caller.orgSlug, id: thread.id)
        var lastError = "no pod is running"
        for candidate in candidates {
            do {
                let view = try await recorded("thread-view", "GET", candidate, path, caller: caller.name, thread: thread.id, success: { _ in 200 }) {
                    try await client.on(candidate).thread(org: caller.orgSlug, id: thread.id)
                }
                return try JSONValue(encoding: view)
            } catch {
                lastError = "\(error)"
            }
        }
        throw Refusal(expected: "GET \(PodPath.thread(org: caller.orgSlug, id: thread.id)) to answer 200", actual: lastError)
    }

    /// How many times the thread's runs called the model.
    func providerCalls(_ thread: ThreadRef) async throws -> Int {
        let url = await cluster.mockAIURL
        return try await recorded("provider-calls", "GET", url, MockAIControl.callCountPath(thread: thread.id), caller: nil, thread: thread.id, success: { _ in 200 }) {
            try await MockAIControlClient(url: url).callCount(thread: thread.id)
        }
    }

    func releaseGate(_ name: String) async throws {
        let url = await cluster.mockAIURL
        try await recorded("release-gate", "POST", url, MockAIControl.releasePath(gate: name), caller: nil, success: { _ in 200 }) {
            try await MockAIControlClient(url: url).release(gate: name)
        }
    }
}

extension JSONValue {
    /// A typed body as JSON, so checks can name its fields the way scenarios do.
    init(encoding value: some Encodable) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
    }
}
