import Foundation
import PodsimClient
import PodsimCluster
import PodsimHistory
import PodsimModel
import PodsimStore

/// One scenario executing against its own cluster: the interpreter. It resolves each step's
/// templates against the variables defined so far and hands the step to the one that does it:
/// the `Workload` (what clients do), the `Nemesis` (faults) or `Checks` (pure judgements over
/// what the workload observed). Steps of a `parallel` block interleave on this actor at their
/// suspension points.
actor ScenarioRun {
    let cluster: any ClusterHandle
    let recorder: HistoryRecorder
    let workload: Workload
    private let nemesis: Nemesis
    private(set) var variables = Variables()
    private var store: Store?
    /// The step running now (the innermost one), for timeout reports.
    private(set) var currentStep: Step?
    private(set) var stepsStarted = 0

    /// Whether failed assertions are passed over (`--checkers-only`).
    private let checkersOnly: Bool
    /// The assertions passed over, in order.
    private(set) var ignoredAssertions: [StepFailure] = []

    init(cluster: any ClusterHandle, checkersOnly: Bool = false) {
        self.cluster = cluster
        self.checkersOnly = checkersOnly
        recorder = HistoryRecorder(clock: HistoryClock(originNanos: cluster.bootedAtNanos, originMillis: cluster.bootedAtMillis))
        workload = Workload(cluster: cluster, recorder: recorder)
        nemesis = Nemesis(cluster: cluster, recorder: recorder)
    }

    // MARK: Steps

    /// Runs one step, recording its start and end (with its failure) in the history.
    func execute(_ step: Step) async throws {
        currentStep = step
        stepsStarted += 1
        var start = recorder.now(.stepStart)
        start.label = step.label
        start.location = step.location.description
        await recorder.add(start)
        var end = start
        do {
            try await run(step)
            end = recorder.now(.stepEnd)
        } catch {
            end = recorder.now(.stepEnd)
            end.error = (error as? StepFailure).map { "expected \($0.expected); got \($0.actual)" } ?? "\(error)"
            end.label = step.label
            end.location = step.location.description
            await recorder.add(end)
            if checkersOnly, step.isAssertion, let failure = error as? StepFailure {
                ignoredAssertions.append(failure)
                return
            }
            throw error
        }
        end.label = step.label
        end.location = step.location.description
        await recorder.add(end)
    }

    private func run(_ step: Step) async throws {
        do {
            try await perform(step)
        } catch let failure as StepFailure {
            throw failure
        } catch let refusal as Workload.Refusal {
            throw StepFailure(step.location, expected: refusal.expected, actual: refusal.actual)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw StepFailure(step.location, expected: "\(step.label) to succeed", actual: "\(error)")
        }
    }

    private func perform(_ step: Step) async throws {
        switch step.kind {
        case .bootstrap(let name, let pod):
            let caller = try await workload.bootstrap(name, on: try await url(pod))
            let org = caller.org
            define(name, value: org.orgSlug, fields: [
                "apiKey": org.apiKey, "orgSlug": org.orgSlug, "cookie": caller.cookie, "orgId": org.orgId, "userId": org.userId,
            ])
        case .agent(let name, let callerName, let pod, let title):
            let id = try await workload.createAgent(
                name, caller: try await caller(callerName), on: try await url(pod), title: try variables.resolve(title))
            define(name, value: id, fields: ["id": id])
        case .thread(let name, let callerName, let agent, let pod, let id):
            let caller = try await caller(callerName)
            guard let agentId = await workload.agent(agent) else { throw undefined("agent", agent, step.location) }
            let created = try await workload.createThread(
                name, caller: caller, callerName: callerName, agentId: agentId, on: try await url(pod), id: try id.map { try variables.resolve($0) })
            define(name, value: created, fields: ["id": created])
        case .send(let send):
            let response = try await self.send(send)
            try check(response, send.expect)
        case .request(let request):
            let response = try await perform(request)
            try check(response, request.expect)
            let captured = Checks.captures(request.captures, from: response, at: step.location, naming: true)
            if let mismatch = captured.mismatch { throw mismatch }
            apply(captured)
        case .attach(let name, let thread, let callerName, let pod, let expect):
            let caller = try await caller(callerName)
            try await workload.attach(name, thread: try await self.thread(thread), caller: caller, on: try await url(pod), expecting: expect)
        case .detach(let name):
            guard await workload.detach(name) else { throw undefined("watcher", name, step.location) }
        case .check(let check):
            let outcome = await evaluate(check)
            if let mismatch = outcome.mismatch { throw mismatch }
            apply(outcome)
        case .eventually(let check, let timeout, let interval):
            try await eventually(check, timeout: timeout, interval: interval)
        case .stable(let check, let window, let interval):
            try await stable(check, window: window, interval: interval)
        case .fault(let action, let target, let record):
            let at = try await nemesis.inject(action, on: try await processName(target))
            if let record { variables[record] = String(at) }
        case .owner(let thread, let callerName, let into, let attempt, let role, let timeout):
            try await owner(of: thread, caller: callerName, into: into, attempt: attempt, role: role, timeout: timeout, at: step.location)
        case .linkDaemon(let name, let callerName, let ttl):
            try await nemesis.startLinkDaemon(name, apiKey: try await caller(callerName).apiKey, ttl: ttl)
        case .bus(let bus):
            var pod: String?
            if let reference = bus.pod { pod = try await processName(reference) }
            let at = try await nemesis.bus(bus.action, on: pod, duration: bus.duration, count: bus.count)
            if let record = bus.record { variables[record] = String(at) }
        case .releaseGate(let gate):
            let name = try variables.resolve(gate)
            do {
                try await workload.releaseGate(name)
            } catch {
                throw StepFailure(step.location, expected: "the gate \(name) to be released", actual: "\(error)")
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
        case .loop(let times, let index, let steps):
            try await loop(times: times, index: index, steps: steps)
        case .within(let limit, let steps):
            try await within(limit, steps: steps, at: step.location)
        }
    }

    /// Runs `steps` `times` times, with `index` holding the iteration (1 to `times`); a failure
    /// says in which iteration it happened.
    private func loop(times: Int, index: String?, steps: [Step]) async throws {
        let outer = index.flatMap { variables[$0] }
        for iteration in 1...times {
            if let index { variables[index] = String(iteration) }
            do {
                for inner in steps { try await execute(inner) }
            } catch let failure as StepFailure {
                throw failure.extended(expected: "", actual: " (in iteration \(iteration) of \(times))")
            }
        }
        if let index { variables[index] = outer }
    }

    /// Runs `steps` in order; when `limit` passes first, the step still running is cancelled and
    /// the block fails where it was written, naming that step.
    private func within(_ limit: Duration, steps: [Step], at location: SourceLocation) async throws {
        let finished = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                for inner in steps { try await self.execute(inner) }
                return true
            }
            group.addTask {
                try await Task.sleep(for: limit)
                return false
            }
            defer { group.cancelAll() }
            return try await group.next() ?? false
        }
        guard !finished else { return }
        let running = currentStep.map { "still running '\($0.label)' (\($0.location))" } ?? "still running"
        let overrun = StepFailure(location, expected: "the block's steps to end within \(limit.podsimText)", actual: running)
        guard checkersOnly else { throw overrun }
        ignoredAssertions.append(overrun)
    }

    /// Detaches every watcher still open.
    func closeWatchers() async {
        await workload.closeWatchers()
    }

    private func define(_ name: String, value: String, fields: [String: String]) {
        variables[name] = value
        for (field, fieldValue) in fields { variables["\(name).\(field)"] = fieldValue }
    }

    private func apply(_ outcome: CheckOutcome) {
        for (name, value) in outcome.captured { variables[name] = value }
    }

    private func check(_ response: HTTPExchange, _ expect: ResponseExpectation) throws {
        if let mismatch = try Checks.response(response, expect, variables: variables) { throw mismatch }
    }

    // MARK: Workload calls

    private func send(_ send: SendStep) async throws -> HTTPExchange {
        let caller = try await caller(send.caller)
        guard let thread = await workload.thread(send.thread) else { throw undefined("thread", send.thread, send.text.location) }
        let body = MessagesRequest(
            text: try variables.resolve(send.text), agentId: thread.agentId,
            messageId: try send.messageId.map { try variables.resolve($0) } ?? UUID().uuidString.lowercased(),
            sandboxProviderKind: try send.kind.map { try variables.resolve($0) })
        return try await workload.send(body, thread: thread, caller: caller, on: try await url(send.pod))
    }

    private func perform(_ request: RequestStep) async throws -> HTTPExchange {
        var headers: [String: String] = [:]
        var sender: String?
        if let callerName = request.caller {
            let caller = try await caller(callerName)
            if request.auth != .none { sender = caller.name }
            switch request.auth {
            case .bearer:
                let header = PodCredential.apiKey(caller.apiKey).header
                headers[header.name] = header.value
            case .cookie: headers["cookie"] = caller.cookie
            case .none: break
            }
        }
        for (name, value) in request.headers { headers[name] = try variables.resolve(value) }
        let body: String? = try request.json.map { try variables.resolve($0).text } ?? request.body.map { try variables.resolve($0) }
        return try await workload.request(
            request.method, base: try await url(request.pod), path: try variables.resolve(path: request.path),
            caller: sender, headers: headers, body: body)
    }

    /// Waits until the thread runs on some pod, and stores that pod's name in `into`, with
    /// `into.next` / `into.prev` naming its neighbours (wrapping). Seed: the owner of the run (of
    /// the given attempt, or any) while the thread is `in_progress`; hosted: the pod executing the
    /// turn's child, or with `of: gate` the pod running its gate.
    private func owner(
        of thread: String, caller callerName: String, into: String, attempt: Int?, role: OwnerRole, timeout: Duration,
        at location: SourceLocation
    ) async throws {
        let caller = try await caller(callerName)
        let ref = try await self.thread(thread)
        let profile = cluster.profile
        let deadline = ContinuousClock.now + timeout
        var last = "no answer"
        while ContinuousClock.now < deadline {
            if let state = try? await workload.threadView(ref, caller: caller, on: nil) {
                last = state.text
                if let owner = Checks.owner(in: state, profile: profile, role: role, attempt: attempt) {
                    variables[into] = owner
                    let pods = cluster.podCount
                    if let number = Int(owner.dropFirst("pod-".count)) {
                        variables["\(into).next"] = "pod-\(number % pods + 1)"
                        variables["\(into).prev"] = "pod-\((number + pods - 2) % pods + 1)"
                    }
                    return
                }
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        let expected = profile == .hosted
            ? "thread \(thread) to have \(role == .gate ? "a gatePod" : "an executorPod") within \(timeout.podsimText)"
            : "\(attempt.map { "attempt \($0) of " } ?? "")thread \(thread) to be in_progress on a pod within \(timeout.podsimText)"
        throw StepFailure(location, expected: expected, actual: last)
    }

    // MARK: Checks

    /// Looks at the subject once. Errors reaching it (a pod that is down, a refused connection)
    /// are a mismatch, so `eventually` keeps polling through them.
    private func evaluate(_ check: Check) async -> CheckOutcome {
        do {
            return try await look(check)
        } catch let failure as StepFailure {
            return CheckOutcome(mismatch: failure)
        } catch let refusal as Workload.Refusal {
            return CheckOutcome(mismatch: StepFailure(here, expected: refusal.expected, actual: refusal.actual))
        } catch {
            return CheckOutcome(mismatch: StepFailure(check.location, expected: "\(check.subject) to be readable", actual: "\(error)"))
        }
    }

    private func eventually(_ check: Check, timeout: Duration, interval: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            let outcome = await evaluate(check)
            guard let mismatch = outcome.mismatch else { return apply(outcome) }
            if ContinuousClock.now >= deadline { throw mismatch.extended(expected: " within \(timeout.podsimText)") }
            try await Task.sleep(for: interval)
        }
    }

    private func stable(_ check: Check, window: Duration, interval: Duration) async throws {
        let start = ContinuousClock.now
        while true {
            let outcome = await evaluate(check)
            if let mismatch = outcome.mismatch {
                throw mismatch.extended(expected: " for \(window.podsimText)", actual: " (after \((ContinuousClock.now - start).podsimText))")
            }
            if ContinuousClock.now - start >= window { return apply(outcome) }
            try await Task.sleep(for: interval)
        }
    }

    /// Gathers what the check reads, then judges it with `Checks`.
    private func look(_ check: Check) async throws -> CheckOutcome {
        switch check.subject {
        case .thread(let name, let callerName, let pod):
            let caller = try await caller(callerName)
            var url: String?
            if let pod { url = try await self.url(pod) }
            let view = try await workload.threadView(try await thread(name), caller: caller, on: url)
            return try Checks.thread(check, view: view, variables: variables)
        case .watcher(let name):
            guard let transcript = await workload.transcript(of: name) else {
                return CheckOutcome(mismatch: StepFailure(check.location, expected: "an attached watcher \(name)", actual: "none (detached or never attached)"))
            }
            return CheckOutcome(mismatch: try Checks.transcript(check.expectations, transcript, variables: variables))
        case .providerCalls(let thread):
            let count = try await workload.providerCalls(try await self.thread(thread))
            return try Checks.value(check, "provider calls", .number(Double(count)), variables: variables)
        case .store(let sql):
            let rows = try await storeQuery(try variables.resolve(sql))
            let value: JSONValue
            if let row = rows.first, row.count == 1, let cell = row.values.first {
                value = cell.map { Double($0).map(JSONValue.number) ?? .string($0) } ?? .null
            } else {
                value = .array(rows.map { row in .object(row.mapValues { $0.map(JSONValue.string) ?? .null }) })
            }
            return try Checks.value(check, "the query result", value, variables: variables)
        case .log(let process):
            let name = try await processName(process)
            let path = try await cluster.info(name).log
            let lines = ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            return CheckOutcome(mismatch: try Checks.transcript(check.expectations, .log(lines, path: path), variables: variables))
        case .request(let request):
            let response = try await perform(request)
            if let mismatch = try Checks.response(response, request.expect, variables: variables) { return CheckOutcome(mismatch: mismatch) }
            return Checks.captures(request.captures, from: response, at: check.location, naming: false)
        }
    }

    private func storeQuery(_ sql: String) async throws -> [[String: String?]] {
        guard let path = cluster.storeFile else {
            throw StepFailure(here, expected: "a store to query", actual: "the target names no store")
        }
        if store == nil { store = try await Store.open(at: path, clock: wallClockMillis) }
        return try await store!.query(sql)
    }

    // MARK: Names

    /// The name of the process `reference` names now: its name resolved, or the pod chosen (the
    /// first running one, in number order, not excluded).
    private func processName(_ reference: ProcessReference) async throws -> String {
        switch reference.choice {
        case .named(let name):
            return try variables.resolve(name)
        case .anyPod(let excluded):
            let names = Set(try excluded.map { try variables.resolve($0) })
            let running = await workload.runningPods()
            guard let pod = running.first(where: { !names.contains($0) }) else {
                let wanted = "a running pod" + (names.isEmpty ? "" : " other than \(names.sorted().joined(separator: ", "))")
                throw StepFailure(reference.location, expected: wanted, actual: running.isEmpty ? "no pod running" : "running: \(running.joined(separator: ", "))")
            }
            return pod
        }
    }

    /// The URL of a process named by `reference` (`pod-2`, `mock-ai`, `${o}`, a link daemon, a
    /// chosen pod).
    private func url(_ reference: ProcessReference) async throws -> String {
        let name = try await processName(reference)
        do {
            return try await cluster.url(of: name)
        } catch {
            throw StepFailure(reference.location, expected: "a process of this cluster", actual: "'\(name)': \(error)")
        }
    }

    /// The caller named `name`; the empty name is the scenario's only one.
    private func caller(_ name: String) async throws -> Workload.Caller {
        guard let caller = await workload.caller(name) else { throw StepFailure(here, expected: "a bootstrap named \(name)", actual: "none") }
        return caller
    }

    private func thread(_ name: String) async throws -> Workload.ThreadRef {
        guard let thread = await workload.thread(name) else { throw undefined("thread", name, currentStep?.location) }
        return thread
    }

    private func undefined(_ what: String, _ name: String, _ location: SourceLocation?) -> StepFailure {
        StepFailure(location ?? here, expected: "a defined \(what) \(name)", actual: "none")
    }

    /// Where the running step was written, for failures found outside any one expectation.
    private var here: SourceLocation { currentStep?.location ?? SourceLocation(file: "?", line: 0, column: 0) }
}
