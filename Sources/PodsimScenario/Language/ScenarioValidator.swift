/// Checks what parsing cannot: every name is defined before it is used (variables, callers,
/// agents, threads, watchers, processes) and every pod exists in the cluster.
public enum ScenarioValidator {
    /// Variables every scenario has: a fresh uuid and the current wall-clock time in ms.
    static let builtins: Set<String> = ["uuid", "now"]

    public static func validate(_ scenario: Scenario) -> [ScenarioError] {
        var scope = Scope(pods: scenario.cluster.pods)
        var errors: [ScenarioError] = []
        for pod in scenario.cluster.podEnvironment.keys where !scope.processes.contains(pod) {
            errors.append(ScenarioError(SourceLocation(file: scenario.file, line: 1, column: 1), "cluster.podEnv names \(pod), which is not a pod of this cluster"))
        }
        for step in scenario.steps { check(step, &scope, &errors) }
        return errors
    }

    struct Scope {
        var variables = builtins
        var sessions: Set<String> = []
        var agents: Set<String> = []
        var threads: Set<String> = []
        var watchers: Set<String> = []
        var processes: Set<String>

        init(pods: Int) {
            processes = Set((1...pods).map { "pod-\($0)" } + ["mock-ai"])
        }
    }

    private static func check(_ step: Step, _ scope: inout Scope, _ errors: inout [ScenarioError]) {
        func use(_ template: Template?) {
            guard let template else { return }
            for (name, location) in template.references where !scope.variables.contains(name) {
                errors.append(ScenarioError(location, "undefined variable '\(name)'" + hint(name, Array(scope.variables))))
            }
        }
        func use(_ value: TemplateValue?) { value?.templates.forEach { use($0) } }
        func need(_ name: String, in set: Set<String>, _ what: String) {
            if name.isEmpty, what == "caller" {
                if set.count != 1 {
                    let defined = set.isEmpty ? "no bootstrap comes before it" : "there are several: \(set.sorted().joined(separator: ", "))"
                    errors.append(ScenarioError(step.location, "this step needs 'as:' naming its caller (a bootstrap); \(defined)"))
                }
            } else if !set.contains(name) {
                errors.append(ScenarioError(step.location, "unknown \(what) '\(name)'" + hint(name, Array(set))))
            }
        }
        func process(_ reference: ProcessReference?) {
            guard let reference else { return }
            if reference.references.isEmpty {
                if !scope.processes.contains(reference.raw) {
                    errors.append(ScenarioError(reference.location, "unknown process '\(reference.raw)'" + hint(reference.raw, Array(scope.processes))))
                }
            } else {
                use(reference)
            }
        }
        func request(_ request: RequestStep) {
            process(request.pod)
            use(request.path)
            request.headers.forEach { use($0.1) }
            use(request.json)
            use(request.body)
            if let session = request.session { need(session, in: scope.sessions, "caller") }
            expectation(request.expect)
        }
        func expectation(_ expect: ResponseExpectation) {
            use(expect.json)
            expect.paths.forEach { use($0.value) }
            expect.headers.forEach { use($0.1) }
            use(expect.bodyContains)
        }

        switch step.kind {
        case .bootstrap(let name, let pod):
            process(pod)
            scope.variables.insert(name)
            scope.sessions.insert(name)
        case .agent(let name, let session, let pod, let title):
            need(session, in: scope.sessions, "caller")
            process(pod)
            use(title)
            scope.variables.insert(name)
            scope.agents.insert(name)
        case .thread(let name, let session, let agent, let pod, let id):
            need(session, in: scope.sessions, "caller")
            need(agent, in: scope.agents, "agent")
            process(pod)
            use(id)
            scope.variables.insert(name)
            scope.threads.insert(name)
        case .send(let send):
            use(send.text)
            need(send.thread, in: scope.threads, "thread")
            need(send.session, in: scope.sessions, "caller")
            process(send.pod)
            use(send.kind)
            use(send.messageId)
            expectation(send.expect)
        case .request(let step):
            request(step)
            step.captures.forEach { scope.variables.insert($0.name) }
        case .attach(let name, let thread, let session, let pod):
            need(thread, in: scope.threads, "thread")
            need(session, in: scope.sessions, "caller")
            process(pod)
            scope.watchers.insert(name)
        case .detach(let name):
            need(name, in: scope.watchers, "watcher")
        case .check(let check), .eventually(let check, _, _), .stable(let check, _, _):
            switch check.subject {
            case .thread(let name, let session, let pod):
                need(name, in: scope.threads, "thread")
                need(session, in: scope.sessions, "caller")
                process(pod)
            case .watcher(let name): need(name, in: scope.watchers, "watcher")
            case .providerCalls(let thread): need(thread, in: scope.threads, "thread")
            case .store(let sql): use(sql)
            case .log(let name): process(name)
            case .request(let step): request(step)
            }
            for expectation in check.expectations {
                switch expectation.kind {
                case .field(_, let comparison):
                    if case .equals(let value) = comparison { use(value) }
                    if case .not(let value) = comparison { use(value) }
                case .contains(let text), .notContains(let text), .count(let text, _), .stampedAfter(let text), .chunkType(let text):
                    use(text)
                case .order(let texts): texts.forEach { use($0) }
                case .noDuplicates, .framesAtLeast: break
                }
            }
            check.captures.forEach { scope.variables.insert($0.name) }
        case .fault(_, let target, let record):
            process(target)
            if let record { scope.variables.insert(record) }
        case .owner(let thread, let session, let into, _, _):
            need(thread, in: scope.threads, "thread")
            need(session, in: scope.sessions, "caller")
            scope.variables.insert(into)
        case .linkDaemon(let name, let session, _):
            need(session, in: scope.sessions, "caller")
            scope.processes.insert(name)
        case .releaseGate(let gate):
            use(gate)
        case .record(let name):
            scope.variables.insert(name)
        case .wait:
            break
        case .parallel(let steps):
            for inner in steps { check(inner, &scope, &errors) }
        }
    }

    private static func hint(_ name: String, _ candidates: [String]) -> String {
        if let guess = suggestion(for: name, in: candidates) { return " (did you mean '\(guess)'?)" }
        return candidates.isEmpty ? "" : "; defined so far: " + candidates.sorted().joined(separator: ", ")
    }
}
