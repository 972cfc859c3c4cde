import Foundation
import PodsimClient
import PodsimCluster
import PodsimModel
import PodsimStore

/// One scenario executing against its own cluster: the names its steps defined (callers, agents,
/// threads, watchers) and the variables they captured. Steps of a `parallel` block interleave on
/// this actor at their suspension points.
actor ScenarioRun {
    /// A caller made by `bootstrap`: an org, its user, an API key and a signed-in session cookie.
    struct Caller: Sendable {
        var orgSlug: String
        var apiKey: String
        var cookie: String
    }

    struct ThreadRef: Sendable {
        var id: String
        var agentId: String
        var caller: String
    }

    let cluster: Cluster
    private(set) var variables = Variables()
    private var callers: [String: Caller] = [:]
    private var agents: [String: String] = [:]
    private var threads: [String: ThreadRef] = [:]
    private var watchers: [String: StreamWatcher] = [:]
    private var store: Store?
    /// The step running now (the innermost one), for timeout reports.
    private(set) var currentStep: Step?
    private(set) var stepsStarted = 0

    init(cluster: Cluster) {
        self.cluster = cluster
    }

    // MARK: Steps

    func execute(_ step: Step) async throws {
        currentStep = step
        stepsStarted += 1
        do {
            try await perform(step)
        } catch let failure as StepFailure {
            throw failure
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw StepFailure(step.location, expected: "\(step.label) to succeed", actual: "\(error)")
        }
    }

    private func perform(_ step: Step) async throws {
        switch step.kind {
        case .bootstrap(let name, let pod):
            try await bootstrap(name, on: pod, at: step.location)
        case .agent(let name, let session, let pod, let title):
            let caller = try caller(session)
            let body: JSONValue = ["title": .string(try variables.resolve(title))]
            let created = try await expectCreated(
                "POST", try url(pod, "/api/\(caller.orgSlug)/agents"), caller: caller, body: body, at: step.location)
            agents[name] = created
            define(name, value: created, fields: ["id": created])
        case .thread(let name, let session, let agent, let pod, let id):
            let caller = try caller(session)
            guard let agentId = agents[agent] else { throw undefined("agent", agent, step.location) }
            var body: [String: JSONValue] = ["agentId": .string(agentId)]
            if let id { body["id"] = .string(try variables.resolve(id)) }
            let created = try await expectCreated(
                "POST", try url(pod, "/api/\(caller.orgSlug)/threads"), caller: caller, body: .object(body), at: step.location)
            threads[name] = ThreadRef(id: created, agentId: agentId, caller: session)
            define(name, value: created, fields: ["id": created])
        case .send(let send):
            let response = try await self.send(send)
            try checkResponse(response, send.expect)
        case .request(let request):
            let response = try await perform(request)
            try checkResponse(response, request.expect)
            try capture(request.captures, from: response, at: step.location)
        case .attach(let name, let thread, let session, let pod):
            try await attach(name, thread: thread, session: session, pod: pod, at: step.location)
        case .detach(let name):
            guard let watcher = watchers.removeValue(forKey: name) else { throw undefined("watcher", name, step.location) }
            await watcher.close()
        case .check(let check):
            let outcome = await evaluate(check)
            if let mismatch = outcome.mismatch { throw mismatch }
            apply(outcome)
        case .eventually(let check, let timeout, let interval):
            try await eventually(check, timeout: timeout, interval: interval)
        case .stable(let check, let window, let interval):
            try await stable(check, window: window, interval: interval)
        case .fault(let action, let target, let record):
            let name = try variables.resolve(target)
            if let record { variables[record] = String(wallClockMillis()) }
            try await fault(action, name)
        case .owner(let thread, let session, let into, let attempt, let timeout):
            try await owner(of: thread, session: session, into: into, attempt: attempt, timeout: timeout, at: step.location)
        case .linkDaemon(let name, let session, let ttl):
            let caller = try caller(session)
            try await cluster.startLinkDaemon(
                LinkDaemonSpec(name: name, apiKey: caller.apiKey, ttlMillis: Int64(ttl / .milliseconds(1))))
        case .releaseGate(let gate):
            let name = try variables.resolve(gate)
            let released = try await HTTPExchange.send("POST", await cluster.mockAIURL + "/control/gates/\(name)/release")
            guard released.status == 200 else {
                throw StepFailure(step.location, expected: "the gate \(name) to be released", actual: "\(released.status) \(released.body)")
            }
        case .record(let name):
            variables[name] = String(wallClockMillis())
        case .wait(let duration):
            try await Task.sleep(for: duration)
        case .parallel(let steps):
            try await withThrowingTaskGroup(of: Void.self) { group in
                for inner in steps { group.addTask { try await self.execute(inner) } }
                try await group.waitForAll()
            }
        }
    }

    /// Detaches every watcher still open.
    func closeWatchers() async {
        for watcher in watchers.values { await watcher.close() }
        watchers.removeAll()
    }

    // MARK: Setup macros

    private func bootstrap(_ name: String, on pod: ProcessReference, at location: SourceLocation) async throws {
        let base = try await url(pod, "")
        let created = try await HTTPExchange.send("POST", base + "/api/orgs", body: #"{"name":"\#(name) org"}"#)
        guard created.status == 201, let json = created.json, let slug = json["orgSlug"]?.stringValue,
            let key = json["apiKey"]?.stringValue
        else {
            throw StepFailure(location, expected: "POST /api/orgs to answer 201 with an org", actual: "\(created.status) \(created.body)")
        }
        let signIn = try await HTTPExchange.send("POST", base + "/api/auth/sign-in", headers: ["authorization": "Bearer \(key)"])
        guard signIn.status == 200, let cookie = signIn.header("set-cookie")?.split(separator: ";").first.map(String.init) else {
            throw StepFailure(location, expected: "sign-in to answer 200 with a session cookie", actual: "\(signIn.status) \(signIn.body)")
        }
        callers[name] = Caller(orgSlug: slug, apiKey: key, cookie: cookie)
        var fields: [String: String] = ["apiKey": key, "orgSlug": slug, "cookie": cookie]
        for field in ["orgId", "userId"] { fields[field] = json[field]?.stringValue }
        define(name, value: slug, fields: fields)
    }

    private func expectCreated(
        _ method: String, _ url: String, caller: Caller, body: JSONValue, at location: SourceLocation
    ) async throws -> String {
        let response = try await HTTPExchange.send(method, url, headers: bearer(caller), body: body.text)
        guard response.status == 201, let id = response.json?["id"]?.stringValue else {
            throw StepFailure(location, expected: "\(method) \(url) to answer 201 with an id", actual: "\(response.status) \(response.body)")
        }
        return id
    }

    private func define(_ name: String, value: String, fields: [String: String]) {
        variables[name] = value
        for (field, fieldValue) in fields { variables["\(name).\(field)"] = fieldValue }
    }

    // MARK: HTTP

    private func send(_ send: SendStep) async throws -> HTTPExchange {
        let caller = try caller(send.session)
        guard let thread = threads[send.thread] else { throw undefined("thread", send.thread, send.text.location) }
        let body = MessagesRequest(
            text: try variables.resolve(send.text), agentId: thread.agentId,
            messageId: try send.messageId.map { try variables.resolve($0) } ?? UUID().uuidString.lowercased(),
            sandboxProviderKind: try send.kind.map { try variables.resolve($0) })
        let path = "/api/\(caller.orgSlug)/decopilot/threads/\(thread.id)/messages"
        return try await HTTPExchange.send("POST", try url(send.pod, path), headers: bearer(caller), body: body.json)
    }

    func perform(_ request: RequestStep) async throws -> HTTPExchange {
        var headers: [String: String] = [:]
        if let session = request.session {
            let caller = try caller(session)
            switch request.auth {
            case .bearer: headers = bearer(caller)
            case .cookie: headers["cookie"] = caller.cookie
            case .none: break
            }
        }
        for (name, value) in request.headers { headers[name] = try variables.resolve(value) }
        let body: String? = try request.json.map { try variables.resolve($0).text } ?? request.body.map { try variables.resolve($0) }
        let url = try await url(request.pod, try variables.resolve(request.path))
        return try await HTTPExchange.send(request.method, url, headers: headers, body: body)
    }

    /// Fails with every way the response differs from what was expected.
    private func checkResponse(_ response: HTTPExchange, _ expect: ResponseExpectation) throws {
        if let mismatch = try responseStepFailure(response, expect) { throw mismatch }
    }

    func responseStepFailure(_ response: HTTPExchange, _ expect: ResponseExpectation) throws -> StepFailure? {
        let location = expect.location
        let summary = "\(response.status) \(response.body.prefix(300))"
        if let status = expect.status, response.status != status {
            return StepFailure(location, expected: "status \(status)", actual: summary)
        }
        if let wanted = expect.json {
            let value = try variables.resolve(wanted)
            guard let json = response.json, json.matches(value) else {
                return StepFailure(location, expected: "a JSON body containing \(value.text)", actual: summary)
            }
        }
        for (path, wanted) in expect.paths {
            let value = try variables.resolve(wanted)
            let actual = response.json?.at(path: path)
            if !(actual.map { $0.matches(value) } ?? (value == .null)) {
                return StepFailure(location, expected: "\(path) = \(value.text)", actual: "\(path) = \(actual?.text ?? "missing") in \(summary)")
            }
        }
        for (name, wanted) in expect.headers {
            let value = try variables.resolve(wanted)
            let actual = response.header(name)
            if actual?.contains(value) != true {
                return StepFailure(location, expected: "header \(name) containing '\(value)'", actual: actual.map { "'\($0)'" } ?? "no \(name) header")
            }
        }
        if let text = expect.bodyContains {
            let value = try variables.resolve(text)
            if !response.body.contains(value) { return StepFailure(location, expected: "a body containing '\(value)'", actual: summary) }
        }
        return nil
    }

    private func capture(_ captures: [(name: String, path: String)], from response: HTTPExchange, at location: SourceLocation) throws {
        for (name, path) in captures {
            guard let value = response.json?.at(path: path) else {
                throw StepFailure(location, expected: "a value at \(path) to capture into \(name)", actual: String(response.body.prefix(300)))
            }
            variables[name] = value.text
        }
    }

    /// The URL of `path` on a process named by `reference` (`pod-2`, `mock-ai`, `${o}`, a link daemon).
    func url(_ reference: ProcessReference, _ path: String) async throws -> String {
        let name = try variables.resolve(reference)
        do {
            return try await cluster.url(of: name) + path
        } catch {
            throw StepFailure(reference.location, expected: "a process of this cluster", actual: "'\(name)': \(error)")
        }
    }

    /// The caller named `name`; the empty name is the scenario's only one.
    func caller(_ name: String) throws -> Caller {
        guard let caller = name.isEmpty && callers.count == 1 ? callers.values.first : callers[name] else {
            throw StepFailure(here, expected: "a bootstrap named \(name)", actual: "none")
        }
        return caller
    }

    func bearer(_ caller: Caller) -> [String: String] { ["authorization": "Bearer \(caller.apiKey)"] }

    func thread(_ name: String) throws -> ThreadRef {
        guard let thread = threads[name] else { throw undefined("thread", name, currentStep?.location) }
        return thread
    }

    func watcher(_ name: String) -> StreamWatcher? { watchers[name] }

    func storeQuery(_ sql: String) async throws -> [[String: String?]] {
        if store == nil { store = try await Store.open(at: cluster.storePath) }
        return try await store!.query(sql)
    }

    private func undefined(_ what: String, _ name: String, _ location: SourceLocation?) -> StepFailure {
        StepFailure(location ?? here, expected: "a defined \(what) \(name)", actual: "none")
    }

    // MARK: Streams

    private func attach(_ name: String, thread: String, session: String, pod: ProcessReference, at location: SourceLocation) async throws {
        let caller = try caller(session)
        let thread = try self.thread(thread)
        if let previous = watchers.removeValue(forKey: name) { await previous.close() }
        let watcher = await StreamWatcher.attach(
            url: try await url(pod, "/api/\(caller.orgSlug)/decopilot/threads/\(thread.id)/stream"), headers: bearer(caller))
        let status = await watcher.status
        guard status == 200 else {
            let failure = await watcher.failure
            await watcher.close()
            throw StepFailure(location, expected: "the stream to answer 200", actual: status.map { "status \($0)" } ?? (failure ?? "no answer"))
        }
        watchers[name] = watcher
    }

    // MARK: Faults

    private func fault(_ action: FaultAction, _ name: String) async throws {
        switch action {
        case .kill: try await cluster.kill(name)
        case .stop: try await cluster.stop(name)
        case .start: try await cluster.start(name)
        case .pause: try await cluster.pause(name)
        case .resume: try await cluster.resume(name)
        case .restart:
            try await cluster.stop(name)
            try await cluster.start(name)
        }
    }

    /// Waits until the thread runs (the given attempt, or any) on some pod, and stores that pod's
    /// name in `into`, with `into.next` / `into.prev` naming its neighbours (wrapping).
    private func owner(
        of thread: String, session: String, into: String, attempt: Int?, timeout: Duration, at location: SourceLocation
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        var last = "no answer"
        while ContinuousClock.now < deadline {
            if let state = try? await threadState(thread, session: session, pod: nil) {
                last = state.text
                let runAttempt = state["currentRun"]?["attempt"]?.numberValue.map { Int($0) }
                if state["status"]?.stringValue == "in_progress", let owner = state["runOwnerPod"]?.stringValue,
                    attempt == nil || runAttempt == attempt
                {
                    variables[into] = owner
                    let pods = cluster.spec.pods
                    if let number = Int(owner.dropFirst("pod-".count)) {
                        variables["\(into).next"] = "pod-\(number % pods + 1)"
                        variables["\(into).prev"] = "pod-\((number + pods - 2) % pods + 1)"
                    }
                    return
                }
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        let which = attempt.map { "attempt \($0) of " } ?? ""
        throw StepFailure(location, expected: "\(which)thread \(thread) to be in_progress on a pod within \(timeout.podsimText)", actual: last)
    }

    /// The thread as a pod reports it; without a pod, the first one that answers (others may be
    /// killed or paused by the scenario).
    func threadState(_ name: String, session: String, pod: ProcessReference?) async throws -> JSONValue {
        let caller = try caller(session)
        let thread = try self.thread(name)
        let path = "/api/\(caller.orgSlug)/threads/\(thread.id)"
        let candidates: [String]
        if let pod {
            candidates = [try await url(pod, path)]
        } else {
            candidates = await cluster.processList().filter { $0.role == .pod && $0.state == .running }.map { $0.url + path }
        }
        var lastError = "no pod is running"
        for candidate in candidates {
            do {
                let response = try await HTTPExchange.send("GET", candidate, headers: bearer(caller), timeout: .seconds(1))
                if response.status == 200, let json = response.json { return json }
                lastError = "\(response.status) \(response.body)"
            } catch {
                lastError = "\(error)"
            }
        }
        throw StepFailure(here, expected: "GET \(path) to answer 200", actual: lastError)
    }

    /// Where the running step was written, for failures found outside any one expectation.
    private var here: SourceLocation { currentStep?.location ?? SourceLocation(file: "?", line: 0, column: 0) }

    func record(_ name: String, _ value: String) {
        variables[name] = value
    }
}
