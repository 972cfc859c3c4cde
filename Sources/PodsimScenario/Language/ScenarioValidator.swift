import PodsimModel

/// Checks what parsing cannot: every name is defined before it is used (variables and their
/// fields, callers, agents, threads, watchers, processes), every pod exists in the cluster, and
/// every knob, switch, step and field is one the scenario's profile has.
public enum ScenarioValidator {
    /// Variables every scenario has: a fresh uuid and the current wall-clock time in ms.
    static let builtins: [String: Set<String>] = ["uuid": [], "now": []]
    /// The fields a running scenario defines for each kind of name (see `ScenarioRun`).
    static let callerFields: Set<String> = ["apiKey", "orgSlug", "cookie", "orgId", "userId"]
    static let createdFields: Set<String> = ["id"]
    static let ownerFields: Set<String> = ["next", "prev"]
    /// More errors than anyone reads in one go; validation stops there, so a generated file
    /// cannot make it slow.
    static let errorLimit = 100

    public static func validate(_ scenario: Scenario) -> [ScenarioError] {
        var scope = Scope(pods: scenario.cluster.pods, profile: scenario.profile)
        var errors: [ScenarioError] = []
        for bound in scenario.profileBound where bound.profile != scope.profile {
            errors.append(ScenarioError(bound.location, profileOnly(bound.what, bound.profile)))
        }
        for bug in scenario.reproduces where scenario.cluster.fixes.contains(bug) {
            errors.append(ScenarioError(
                SourceLocation(file: scenario.file, line: 1, column: 1),
                "the scenario reproduces \(bug.rawValue) but cluster.fixes turns its fix on; it can only show the real server's outcome without it"))
        }
        for pod in scenario.cluster.podEnvironment.keys where !scope.processes.contains(pod) {
            errors.append(ScenarioError(SourceLocation(file: scenario.file, line: 1, column: 1), "cluster.podEnv names \(pod), which is not a pod of this cluster"))
        }
        for step in scenario.steps where errors.count < errorLimit {
            check(step, &scope, &errors)
            for name in scope.shadowing {
                errors.append(ScenarioError(step.location, "'\(name)' is a built-in variable (${\(name)}); define another name"))
            }
            scope.shadowing.removeAll()
        }
        if errors.count >= errorLimit, let last = errors.last {
            errors.append(ScenarioError(last.location, "stopping after \(errorLimit) errors"))
        }
        return errors
    }

    struct Scope {
        /// Each variable defined so far, with its fields.
        var variables = builtins
        var callers: Set<String> = []
        var agents: Set<String> = []
        var threads: Set<String> = []
        var watchers: Set<String> = []
        let pods: Set<String>
        var processes: Set<String>
        let profile: ServerProfile

        init(pods count: Int, profile: ServerProfile) {
            pods = Set((1...count).map { "pod-\($0)" })
            processes = pods.union(["mock-ai"])
            self.profile = profile
        }

        /// Built-in variables the last step tried to define again (`into: now`, `record: uuid`).
        var shadowing: [String] = []

        mutating func define(_ name: String, fields: Set<String> = []) {
            if builtins[name] != nil { shadowing.append(name) }
            variables[name, default: []].formUnion(fields)
        }
    }

    private static func check(_ step: Step, _ scope: inout Scope, _ errors: inout [ScenarioError]) {
        /// Checks the template's references; true when it is plain text, without any.
        @discardableResult func use(_ template: Template?) -> Bool {
            guard let template else { return false }
            let references: [Template.Reference]
            do {
                references = try template.references()
            } catch {
                errors.append(error)
                return false
            }
            for reference in references where errors.count < errorLimit {
                guard let fields = scope.variables[reference.name] else {
                    errors.append(ScenarioError(reference.location, "undefined variable '\(reference.name)'" + hint(reference.name, Array(scope.variables.keys))))
                    continue
                }
                if let field = reference.field, !fields.contains(field) {
                    let message = fields.isEmpty
                        ? "'\(reference.name)' has no fields, so '${\(reference.key)}' is never defined"
                        : unknownMessage("field of '\(reference.name)'", field, expected: fields.sorted())
                    errors.append(ScenarioError(reference.location, message))
                }
            }
            return references.isEmpty
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
            switch reference.choice {
            case .named(let name):
                guard use(name), !scope.processes.contains(name.raw) else { return }
                errors.append(ScenarioError(name.location, "unknown process '\(name.raw)'" + hint(name.raw, Array(scope.processes))))
            case .anyPod(let excluded):
                var plain: Set<String> = []
                for name in excluded where use(name) {
                    plain.insert(name.raw)
                    if !scope.pods.contains(name.raw) {
                        errors.append(ScenarioError(name.location, "notIn lists pods; '\(name.raw)' is not a pod of this cluster" + hint(name.raw, Array(scope.pods))))
                    }
                }
                if scope.pods.isSubset(of: plain) {
                    errors.append(ScenarioError(reference.location, "notIn excludes every pod of this cluster; no pod is left to choose"))
                }
            }
        }
        func request(_ request: RequestStep) {
            process(request.pod)
            use(request.path)
            request.headers.forEach { use($0.1) }
            use(request.json)
            use(request.body)
            if let caller = request.caller { need(caller, in: scope.callers, "caller") }
            expectation(request.expect)
        }
        /// Reports what only `profile` has when the scenario runs the other one.
        func only(_ profile: ServerProfile, _ what: String, at location: SourceLocation?, instead: String? = nil) {
            guard profile != scope.profile else { return }
            let message = profileOnly(what, profile) + (instead.map { " (\(scope.profile.rawValue): \($0))" } ?? "")
            errors.append(ScenarioError(location ?? step.location, message))
        }
        func only(threadField field: String, at location: SourceLocation) {
            guard let profile = ScenarioParser.threadFieldProfiles[field] else { return }
            only(profile, "thread field '\(field)'", at: location, instead: ScenarioParser.hostedCounterparts[field])
        }
        func expectation(_ expect: ResponseExpectation) {
            use(expect.json)
            expect.paths.forEach { use($0.value) }
            expect.headers.forEach { use($0.1) }
            use(expect.bodyContains)
            use(expect.bodyNotContains)
        }

        switch step.kind {
        case .bootstrap(let name, let pod):
            process(pod)
            scope.define(name, fields: callerFields)
            scope.callers.insert(name)
        case .agent(let name, let caller, let pod, let title):
            need(caller, in: scope.callers, "caller")
            process(pod)
            use(title)
            scope.define(name, fields: createdFields)
            scope.agents.insert(name)
        case .thread(let name, let caller, let agent, let pod, let id):
            need(caller, in: scope.callers, "caller")
            need(agent, in: scope.agents, "agent")
            process(pod)
            use(id)
            scope.define(name, fields: createdFields)
            scope.threads.insert(name)
        case .send(let send):
            use(send.text)
            need(send.thread, in: scope.threads, "thread")
            need(send.caller, in: scope.callers, "caller")
            process(send.pod)
            use(send.kind)
            use(send.messageId)
            expectation(send.expect)
        case .request(let step):
            request(step)
            step.captures.forEach { scope.define($0.name) }
        case .attach(let name, let thread, let caller, let pod, let expect):
            need(thread, in: scope.threads, "thread")
            need(caller, in: scope.callers, "caller")
            process(pod)
            // An attach replaces a watcher of its name; one expecting a refusal leaves none.
            if expect?.admitsSuccess ?? true { scope.watchers.insert(name) } else { scope.watchers.remove(name) }
        case .detach(let name):
            need(name, in: scope.watchers, "watcher")
        case .check(let check), .eventually(let check, _, _), .stable(let check, _, _):
            switch check.subject {
            case .thread(let name, let caller, let pod):
                need(name, in: scope.threads, "thread")
                need(caller, in: scope.callers, "caller")
                process(pod)
                if case .named(let pod) = pod?.choice, (try? pod.references())?.isEmpty == true, !scope.pods.contains(pod.raw), scope.processes.contains(pod.raw) {
                    errors.append(ScenarioError(pod.location, "a thread check asks a pod; \(pod.raw) cannot answer it (on: pod-1 … pod-\(scope.pods.count))"))
                }
                for expectation in check.expectations {
                    if case .field(let field, _) = expectation.kind { only(threadField: field, at: expectation.location) }
                }
                for (_, field) in check.captures { only(threadField: field, at: check.location) }
            case .watcher(let name): need(name, in: scope.watchers, "watcher")
            case .providerCalls(let thread): need(thread, in: scope.threads, "thread")
            case .store(let sql): use(sql)
            case .log(let name): process(name)
            case .request(let step): request(step)
            }
            for expectation in check.expectations {
                switch expectation.kind {
                case .field(let field, .equals(let value)), .field(let field, .not(let value)):
                    use(value)
                    if case .pod = ScenarioParser.values(ofThreadField: field).kind, case .string(let pod) = value,
                        (try? pod.references())?.isEmpty == true, !scope.pods.contains(pod.raw)
                    {
                        errors.append(ScenarioError(pod.location, "unknown pod '\(pod.raw)'" + hint(pod.raw, Array(scope.pods))))
                    }
                case .contains(let text), .notContains(let text), .count(let text, _), .stampedAfter(let text), .chunkType(let text):
                    use(text)
                case .order(let texts): texts.forEach { use($0) }
                case .stages: only(.hosted, "stages", at: expectation.location)
                case .field(_, .contains(let text)): use(text)
                case .field, .noDuplicates, .framesAtLeast: break
                }
            }
            check.captures.forEach { scope.define($0.name) }
        case .fault(_, let target, let record):
            process(target)
            if let record { scope.define(record) }
        case .owner(let thread, let caller, let into, let attempt, _, _):
            need(thread, in: scope.threads, "thread")
            need(caller, in: scope.callers, "caller")
            scope.define(into, fields: ownerFields)
            if attempt != nil { only(.seed, "owner … attempt:", at: step.optionLocations["attempt"]) }
            if let location = step.optionLocations["of"] { only(.hosted, "owner … of:", at: location) }
        case .linkDaemon(let name, let caller, _):
            if scope.profile == .hosted {
                errors.append(ScenarioError(step.location, "link daemons do not exist in the hosted profile (removed by PR #5570)"))
            }
            need(caller, in: scope.callers, "caller")
            if name == ProcessReference.anyPodWord {
                errors.append(ScenarioError(step.location, "'\(name)' in on: means any running pod; name the link daemon otherwise"))
            }
            scope.processes.insert(name)
        case .bus(let bus):
            only(.hosted, "bus", at: step.location)
            process(bus.pod)
            if let record = bus.record { scope.define(record) }
        case .releaseGate(let gate):
            use(gate)
        case .record(let name):
            scope.define(name)
        case .wait:
            break
        case .parallel(let steps):
            // Concurrent steps share the variables: two loops there may not share an index.
            var branchOfIndex: [String: Int] = [:]
            for (branch, inner) in steps.enumerated() {
                for (index, location) in loopIndexes(in: inner) {
                    if let other = branchOfIndex[index], other != branch {
                        errors.append(ScenarioError(location, "the index '\(index)' is also a repeat index in another step of this parallel block; name one otherwise"))
                    }
                    branchOfIndex[index] = branch
                }
            }
            for inner in steps where errors.count < errorLimit { check(inner, &scope, &errors) }
        case .within(_, let steps):
            for inner in steps where errors.count < errorLimit { check(inner, &scope, &errors) }
        case .loop(_, let index, let steps):
            // The index is a variable of the block's steps only; a later block may reuse its name.
            let outer = index.flatMap { scope.variables[$0] }
            if let index {
                if outer != nil, builtins[index] == nil {
                    errors.append(ScenarioError(step.optionLocations["index"] ?? step.location, "the index '\(index)' is already a variable here; name it otherwise"))
                }
                scope.define(index)
            }
            for inner in steps where errors.count < errorLimit { check(inner, &scope, &errors) }
            if let index, builtins[index] == nil { scope.variables[index] = outer }
        }
    }

    /// The `repeat` indexes a step defines, its nested blocks' included, with where each was written.
    private static func loopIndexes(in step: Step) -> [(String, SourceLocation)] {
        switch step.kind {
        case .loop(_, let index, let steps):
            (index.map { [($0, step.optionLocations["index"] ?? step.location)] } ?? []) + steps.flatMap(loopIndexes(in:))
        case .within(_, let steps), .parallel(let steps):
            steps.flatMap(loopIndexes(in:))
        default:
            []
        }
    }

    private static func profileOnly(_ what: String, _ profile: ServerProfile) -> String {
        "\(what) applies to the \(profile.rawValue) profile only"
    }

    private static func hint(_ name: String, _ candidates: [String]) -> String {
        if let guess = suggestion(for: name, in: candidates) { return " (did you mean '\(guess)'?)" }
        guard !candidates.isEmpty else { return "" }
        let shown = candidates.sorted().prefix(20).joined(separator: ", ")
        return "; defined so far: " + shown + (candidates.count > 20 ? " and \(candidates.count - 20) more" : "")
    }
}
