import Foundation
import PodsimCheckers
import PodsimCluster
import PodsimModel
import PodsimStore

/// Reads a scenario file into a `Scenario`, or every problem in it, each with the file, line and
/// column and what was expected there.
public enum ScenarioParser {
    static let topLevelKeys = ["name", "description", "guards", "reproduces", "cluster", "checks", "timeout", "steps"]
    static let clusterKeys = ["profile", "pods", "env", "podEnv", "bugs", "fixes", "keepalive", "drain"] + seedKnobs + hostedKnobs
    /// Cluster timings only the seed profile has (run leases).
    static let seedKnobs = ["lease", "poll"]
    /// The hosted profile's knobs (`HostedSettings`).
    static let hostedKnobs = [
        "idleTimeout", "reapInterval", "livenessBeat", "capacityBeat", "dedupWindow", "progressThrottle", "conductor", "runCap",
        "publishRetryBase",
        "projectorStartDelay", "pauseAfterPurge",
    ]
    /// The key that names each step kind.
    static let stepKeys = [
        "bootstrap", "agent", "thread", "send", "request", "attach", "detach", "await", "check", "eventually", "stable",
        "kill", "stop", "start", "pause", "resume", "restart", "owner", "link-daemon", "bus", "release", "record", "wait", "parallel",
        "repeat", "within",
    ]
    /// The options each step kind takes beside its own key: the schema's per-kind properties and
    /// the list an unknown option's error offers. A test holds it to what `parseKind` reads.
    static let stepOptions: [String: [String]] = {
        let fault = ["record"]
        var options: [String: [String]] = [
            "bootstrap": ["on"],
            "agent": ["as", "on", "title"],
            "thread": ["as", "agent", "on", "id"],
            "send": ["thread", "as", "on", "kind", "messageId", "expect"],
            "request": requestKeys,
            "attach": ["thread", "as", "on", "expect"],
            "await": streamKeys + ["timeout"],
            "eventually": ["timeout", "interval"],
            "stable": ["for", "interval"],
            "owner": ["as", "into", "attempt", "of", "timeout"],
            "link-daemon": ["as", "ttl"],
            "bus": ["on", "for", "count", "record"],
            "repeat": ["index", "steps"],
            "within": ["steps"],
        ]
        for kind in ["kill", "stop", "start", "pause", "resume", "restart"] { options[kind] = fault }
        for kind in stepKeys where options[kind] == nil { options[kind] = [] }
        return options
    }()
    /// The most times a `repeat` block runs its steps; more is a typo, or a job for `podsim run --repeat`.
    static let repeatLimit = 1000
    /// The largest count, attempt or frame number a scenario may write; anything near it is a typo.
    static let countLimit = 1_000_000

    /// Reads a scenario file; throws its first problem (`problems(file:)` reports them all).
    public static func parse(file path: String, defaultName: String? = nil) throws -> Scenario {
        let parsed = parsing(file: path, defaultName: defaultName)
        if let first = parsed.errors.first { throw first }
        return parsed.scenario!
    }

    /// Parses a scenario; `defaultName` names it when it has no `name:` (else its file name
    /// does). Throws its first problem.
    public static func parse(_ text: String, file: String, defaultName: String? = nil) throws -> Scenario {
        let parsed = parsing(text, file: file, defaultName: defaultName)
        if let first = parsed.errors.first { throw first }
        return parsed.scenario!
    }

    /// A file's scenario, or every problem found in it, in file order: a mistake in one key or
    /// step does not hide those in the next.
    public struct Parsed: Sendable {
        public var scenario: Scenario?
        public var errors: [ScenarioError]
    }

    public static func parsing(file path: String, defaultName: String? = nil) -> Parsed {
        let start = SourceLocation(file: path, line: 1, column: 1)
        let data: Data
        do {
            // One byte past the limit is enough to know the file is too large.
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            data = try handle.read(upToCount: YAMLNode.maxBytes + 1) ?? Data()
        } catch {
            return Parsed(errors: [ScenarioError(start, "cannot read the file: \(error.localizedDescription)")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return Parsed(errors: [ScenarioError(start, data.count > YAMLNode.maxBytes ? YAMLNode.tooLarge : "cannot read the file: it is not UTF-8 text")])
        }
        return parsing(text, file: path, defaultName: defaultName)
    }

    public static func parsing(_ text: String, file: String, defaultName: String? = nil) -> Parsed {
        var errors: [ScenarioError] = []
        /// Runs one piece of the parse; its problem is collected and the piece left at `fallback`.
        func collect<Value>(_ fallback: Value, _ piece: () throws -> Value) -> Value {
            do {
                return try piece()
            } catch let error as ScenarioError {
                errors.append(error)
            } catch let nested as ScenarioErrors {
                errors += nested.errors
            } catch {
                errors.append(ScenarioError(SourceLocation(file: file, line: 1, column: 1), "\(error)"))
            }
            return fallback
        }
        let root: YAMLNode
        do {
            root = try YAMLNode.load(text, file: file)
        } catch let error as ScenarioError {
            return Parsed(errors: [error])
        } catch {
            return Parsed(errors: [ScenarioError(SourceLocation(file: file, line: 1, column: 1), "\(error)")])
        }
        var members: [String: YAMLNode] = [:]
        do {
            for (key, keyNode, value) in try root.pairs("a scenario") {
                if topLevelKeys.contains(key) {
                    members[key] = value
                } else {
                    errors.append(keyNode.error(unknownMessage("key in a scenario", key, expected: topLevelKeys)))
                }
            }
        } catch let error as ScenarioError {
            return Parsed(errors: [error])
        } catch {
            return Parsed(errors: [ScenarioError(SourceLocation(file: file, line: 1, column: 1), "\(error)")])
        }
        var bound: [ProfileBound] = []
        let guards: [BugSwitch] = collect([]) { try members["guards"].map { try switchList($0, "guards", &bound) } ?? [] }
        let reproduces: [OpenBug] = collect([]) { try members["reproduces"].map { try switchList($0, "reproduces", &bound) } ?? [] }
        let cluster = collect(ClusterBlock()) { try members["cluster"].map { try parseCluster($0, &bound) } ?? ClusterBlock() }
        let checks = collect(CheckSettings()) { try members["checks"].map(parseChecks) ?? CheckSettings() }
        let name = collect(nil) { try members["name"]?.string("name") }
        let description = collect(nil) { try members["description"]?.string("description") }
        let timeout = collect(Duration.seconds(60)) { try members["timeout"]?.duration("timeout") ?? .seconds(60) }
        var steps: [Step] = []
        if let stepsNode = members["steps"] {
            let items = collect([YAMLNode]()) { try stepsNode.items("steps") }
            for item in items {
                if let step = collect(nil, { try parseStep(item) }) { steps.append(step) }
            }
            if items.isEmpty && errors.isEmpty { errors.append(stepsNode.error("'steps' is empty: a scenario needs at least one step")) }
        } else {
            errors.append(root.error("missing 'steps': a scenario needs at least one step"))
        }
        guard errors.isEmpty else {
            return Parsed(errors: errors.sorted { ($0.location.line, $0.location.column) < ($1.location.line, $1.location.column) })
        }
        var scenario = Scenario(
            name: name ?? defaultName ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent,
            description: description, file: file, guards: guards, cluster: cluster, timeout: timeout, steps: steps, profileBound: bound)
        scenario.reproduces = reproduces
        scenario.checks = checks
        return Parsed(scenario: scenario, errors: [])
    }

    /// The `checks:` block: `skip: {<checker>: "<reason>"}`.
    static func parseChecks(_ node: YAMLNode) throws -> CheckSettings {
        let members = try node.members("checks", allowed: ["skip"])
        var settings = CheckSettings()
        guard let skip = members["skip"] else { return settings }
        for (name, keyNode, value) in try skip.pairs("checks.skip") {
            guard let checker = CheckerName(rawValue: name) else {
                throw keyNode.error(unknownMessage("checker", name, expected: CheckerName.allCases.map(\.rawValue)))
            }
            let reason = try value.string("the reason for skipping \(name)").trimmingCharacters(in: .whitespaces)
            if reason.isEmpty { throw value.error("give the reason for skipping \(name): a report shows it") }
            settings.skip[checker] = reason
        }
        return settings
    }

    /// The `cluster:` block; what in it only one profile has is added to `bound`.
    static func parseCluster(_ node: YAMLNode, _ bound: inout [ProfileBound]) throws -> ClusterBlock {
        let members = try node.members("cluster", allowed: clusterKeys)
        var cluster = ClusterBlock()
        if let profile = members["profile"] {
            let name = try profile.string("cluster.profile")
            guard let value = ServerProfile(rawValue: name) else {
                throw profile.error(unknownMessage("profile", name, expected: ServerProfile.allCases.map(\.rawValue)))
            }
            cluster.profile = value
        }
        cluster.pods = try members["pods"]?.int("cluster.pods", in: 1...64) ?? cluster.pods
        if let env = members["env"] {
            for (key, _, value) in try env.pairs("cluster.env") { cluster.environment[key] = try value.string("cluster.env.\(key)") }
        }
        if let podEnv = members["podEnv"] {
            for (pod, _, values) in try podEnv.pairs("cluster.podEnv") {
                for (key, _, value) in try values.pairs("cluster.podEnv.\(pod)") {
                    cluster.podEnvironment[pod, default: [:]][key] = try value.string("cluster.podEnv.\(pod).\(key)")
                }
            }
        }
        if let bugs = members["bugs"] { cluster.bugs = try switchList(bugs, "cluster.bugs", &bound) }
        if let fixes = members["fixes"] { cluster.fixes = try switchList(fixes, "cluster.fixes", &bound) }
        for (key, keyNode, _) in try node.pairs("cluster") {
            let profile: ServerProfile? = seedKnobs.contains(key) ? .seed : hostedKnobs.contains(key) ? .hosted : nil
            if let profile { bound.append(ProfileBound(what: "cluster.\(key)", profile: profile, location: keyNode.location)) }
        }
        func millis(_ key: String) throws -> Int64? {
            try members[key].map { Int64(try $0.duration("cluster.\(key)") / .milliseconds(1)) }
        }
        cluster.timings.leaseMillis = try millis("lease") ?? cluster.timings.leaseMillis
        cluster.timings.pollMillis = try millis("poll") ?? cluster.timings.pollMillis
        cluster.timings.keepaliveMillis = try millis("keepalive") ?? cluster.timings.keepaliveMillis
        cluster.timings.drainMillis = try millis("drain") ?? cluster.timings.drainMillis
        cluster.hosted.idleTimeoutMillis = try millis("idleTimeout") ?? cluster.hosted.idleTimeoutMillis
        cluster.hosted.reapIntervalMillis = try millis("reapInterval") ?? cluster.hosted.reapIntervalMillis
        cluster.hosted.livenessBeatMillis = try millis("livenessBeat") ?? cluster.hosted.livenessBeatMillis
        cluster.hosted.capacityBeatMillis = try millis("capacityBeat") ?? cluster.hosted.capacityBeatMillis
        cluster.hosted.dedupWindowMillis = try millis("dedupWindow") ?? cluster.hosted.dedupWindowMillis
        cluster.hosted.progressThrottleMillis = try millis("progressThrottle") ?? cluster.hosted.progressThrottleMillis
        cluster.hosted.conductorDelayMillis = try millis("conductor")
        cluster.hosted.publishRetryBaseMillis = try millis("publishRetryBase") ?? cluster.hosted.publishRetryBaseMillis
        cluster.hosted.projectorStartDelayMillis = try millis("projectorStartDelay") ?? cluster.hosted.projectorStartDelayMillis
        cluster.hosted.pauseAfterPurgeMillis = try millis("pauseAfterPurge") ?? cluster.hosted.pauseAfterPurgeMillis
        cluster.hosted.runCap = try members["runCap"]?.int("cluster.runCap", in: 1...64) ?? cluster.hosted.runCap
        return cluster
    }

    /// A list of bug or open bug ids (`guards`, `reproduces`, `cluster.bugs`, `cluster.fixes`); each
    /// is bound to its profile.
    static func switchList<Switch: ProfileBoundSwitch>(_ node: YAMLNode, _ what: String, _ bound: inout [ProfileBound]) throws -> [Switch] {
        try node.items(what).map { item -> Switch in
            let id = try item.string(Switch.idNoun)
            guard let value = Switch(rawValue: id) else {
                throw item.error(unknownMessage(Switch.idNoun, id, expected: Switch.allCases.map(\.rawValue)))
            }
            bound.append(ProfileBound(what: "\(Switch.noun) \(id)", profile: value.profile, location: item.location))
            return value
        }
    }

    // MARK: Steps

    static func parseStep(_ node: YAMLNode) throws -> Step {
        let pairs = try node.pairs("a step")
        // The first key names the step kind; the keys after it are its options.
        guard let first = pairs.first else { throw node.error("an empty step; expected one of: \(stepKeys.joined(separator: ", "))") }
        guard stepKeys.contains(first.key) else { throw first.keyNode.error(unknownMessage("step", first.key, expected: stepKeys)) }
        let (kindKey, kindNode) = (first.key, first.value)
        let options = StepOptions(node: node, kindKey: kindKey, pairs: pairs, declared: stepOptions[kindKey])
        let kind = try parseKind(kindKey, kindNode, options)
        try options.rejectUnused()
        return Step(location: node.location, kind: kind, optionLocations: options.locations)
    }

    static func parseKind(_ key: String, _ value: YAMLNode, _ options: StepOptions) throws -> StepKind {
        switch key {
        case "bootstrap":
            return .bootstrap(name: try identifier(value, "bootstrap"), pod: try options.pod())
        case "agent":
            return .agent(
                name: try identifier(value, "agent"), caller: try options.caller(),
                pod: try options.pod(), title: try options.template("title") ?? Template(raw: "agent", location: value.location))
        case "thread":
            return .thread(
                name: try identifier(value, "thread"), caller: try options.caller(), agent: try options.requiredName("agent"),
                pod: try options.pod(), id: try options.template("id"))
        case "send":
            return .send(
                SendStep(
                    text: try value.template("send"), thread: try options.requiredName("thread"), caller: try options.caller(),
                    pod: try options.pod(), kind: try options.template("kind"), messageId: try options.template("messageId"),
                    expect: try options.node("expect").map(parseExpectation) ?? ResponseExpectation(status: 202, location: value.location)))
        case "request":
            return .request(try parseRequest(value, options))
        case "attach":
            var expect: StatusExpectation?
            if let node = options.node("expect") {
                guard let status = try node.members("attach.expect", allowed: ["status"])["status"] else {
                    throw node.error("attach.expect needs status:, the status the stream must answer")
                }
                expect = try parseStatus(status)
            }
            return .attach(
                name: try identifier(value, "attach"), thread: try options.requiredName("thread"), caller: try options.caller(),
                pod: try options.pod(), expect: expect)
        case "detach":
            return .detach(name: try identifier(value, "detach"))
        case "await":
            let watcher = try identifier(value, "await")
            let check = Check(
                subject: .watcher(watcher), expectations: try options.streamExpectations(), captures: [], location: value.location)
            if check.expectations.isEmpty {
                throw value.error("await needs a condition, e.g. contains: \"chunk-1 \" or type: finish")
            }
            return .eventually(check, timeout: try options.duration("timeout") ?? .seconds(15), interval: .milliseconds(5))
        case "check":
            return .check(try parseCheck(value))
        case "eventually":
            return .eventually(
                try parseCheck(value), timeout: try options.duration("timeout") ?? .seconds(15),
                interval: try options.duration("interval") ?? .milliseconds(20))
        case "stable":
            guard let window = try options.duration("for") else { throw value.error("stable needs 'for:', the window it must hold") }
            return .stable(try parseCheck(value), window: window, interval: try options.duration("interval") ?? .milliseconds(100))
        case "kill", "stop", "start", "pause", "resume", "restart":
            return .fault(FaultAction(rawValue: key)!, target: try processReference(value, key), record: try options.name("record"))
        case "owner":
            var role = OwnerRole.executor
            if let node = options.node("of") {
                let name = try node.string("of")
                guard let value = OwnerRole(rawValue: name) else {
                    throw node.error(unknownMessage("owner role", name, expected: OwnerRole.allCases.map(\.rawValue)))
                }
                role = value
            }
            return .owner(
                thread: try identifier(value, "owner"), caller: try options.caller(), into: try options.requiredName("into"),
                attempt: try options.int("attempt", in: 1...countLimit), of: role, timeout: try options.duration("timeout") ?? .seconds(15))
        case "link-daemon":
            let name = try identifier(value, "link-daemon")
            guard ProcessName.isValid(name) else { throw value.error("link-daemon needs a process name: \(ProcessName.rule)") }
            return .linkDaemon(
                name: name, caller: try options.caller(),
                ttl: try options.duration("ttl") ?? .seconds(3))
        case "bus":
            return .bus(try parseBus(value, options))
        case "release":
            return .releaseGate(try value.template("release"))
        case "record":
            return .record(name: try identifier(value, "record"))
        case "wait":
            return .wait(try value.duration("wait"))
        case "parallel":
            let steps = try parseSteps(value, "parallel")
            if steps.isEmpty { throw value.error("parallel needs at least one step") }
            return .parallel(steps)
        case "repeat":
            let times = try value.int("repeat", in: 1...repeatLimit)
            return .loop(times: times, index: try options.name("index"), steps: try options.block())
        case "within":
            return .within(try value.duration("within"), steps: try options.block())
        default:
            throw value.error(unknownMessage("step", key, expected: stepKeys))
        }
    }

    /// A list of steps (a block's), every problem in it collected: a mistake in one nested step
    /// does not hide those in the next.
    static func parseSteps(_ node: YAMLNode, _ what: String) throws -> [Step] {
        var steps: [Step] = []
        var errors: [ScenarioError] = []
        for item in try node.items(what) {
            do {
                steps.append(try parseStep(item))
            } catch let error as ScenarioError {
                errors.append(error)
            } catch let nested as ScenarioErrors {
                errors += nested.errors
            }
        }
        if errors.count == 1 { throw errors[0] }
        if !errors.isEmpty { throw ScenarioErrors(errors: errors) }
        return steps
    }

    /// Which process a step talks to: a name (`pod-2`, `"${o}"`), `any` (the first running pod)
    /// or `{notIn: [names]}` (the first running pod not named; one name may go without brackets).
    static func processReference(_ node: YAMLNode, _ what: String) throws -> ProcessReference {
        guard node.node.mapping != nil else {
            let name = try node.template(what)
            if name.raw == ProcessReference.anyPodWord { return ProcessReference(.anyPod(excluding: []), location: node.location) }
            return ProcessReference(named: name)
        }
        let members = try node.members(what, allowed: ["notIn"])
        guard let excluded = members["notIn"] else { throw node.error("\(what) takes a process name, any, or {notIn: [pod names]}") }
        let names = try (excluded.node.sequence != nil ? excluded.items("\(what).notIn") : [excluded]).map { try $0.template("\(what).notIn") }
        if names.isEmpty { throw excluded.error("\(what).notIn lists no pod; write any for any running pod") }
        return ProcessReference(.anyPod(excluding: names), location: node.location)
    }

    static func parseBus(_ value: YAMLNode, _ options: StepOptions) throws -> BusStep {
        let name = try value.string("bus")
        guard let action = BusStep.Action(rawValue: name) else {
            throw value.error(unknownMessage("bus action", name, expected: BusStep.Action.allCases.map(\.rawValue)))
        }
        let step = BusStep(
            action: action, pod: try options.optionalPod(), duration: try options.duration("for"),
            count: try options.int("count", in: 1...BusFaultLimits.maxCount), record: try options.name("record"))
        let fault = action.fault
        if fault == nil, step.pod != nil || step.duration != nil || step.count != nil {
            throw value.error("bus: \(name) takes no 'on:', 'for:' or 'count:'")
        }
        if let fault, fault.isCounted, step.duration != nil {
            throw value.error("bus: \(name) is used up by 'count:' operations; it takes no 'for:'")
        }
        if let fault, !fault.isCounted, step.count != nil {
            throw value.error("bus: \(name) lasts 'for:' a duration (or until 'bus: heal'); it takes no 'count:'")
        }
        if let duration = step.duration, duration <= .zero || duration > .milliseconds(BusFaultLimits.maxDurationMillis) {
            throw value.error("bus: \(name) needs 'for:' between 1ms and \(BusFaultLimits.maxDurationMillis / 1000)s")
        }
        return step
    }

    static func identifier(_ node: YAMLNode, _ what: String) throws -> String {
        let name = try node.string(what)
        guard Template.Reference.isName(name[...]) else {
            throw node.error("\(what) needs a name made of letters, digits, '_' or '-', got '\(name)'")
        }
        return name
    }

    static let requestKeys = ["on", "as", "auth", "headers", "json", "body", "expect", "capture"]

    static func parseRequest(_ value: YAMLNode, _ options: StepOptions) throws -> RequestStep {
        let line = try value.string("request")
        let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
        let methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
        guard parts.count == 2, methods.contains(parts[0]) else {
            throw value.error("request must be 'METHOD /path' with METHOD one of \(methods.joined(separator: ", ")), got '\(line)'")
        }
        guard parts[1].hasPrefix("/") else { throw value.error("the request path must start with '/', got '\(parts[1])'") }
        var path = Template(raw: parts[1], location: value.location)
        path.location.column += parts[0].count + 1
        var caller = try options.name("as")
        let authText = try options.string("auth")
        guard let auth = authText.map({ RequestStep.Auth(rawValue: $0) }) ?? (caller == nil ? RequestStep.Auth.none : .bearer) else {
            throw options.node("auth")!.error(unknownMessage("auth", authText ?? "", expected: ["bearer", "cookie", "none"]))
        }
        if auth != .none, caller == nil { caller = "" }
        var headers: [(String, Template)] = []
        if let node = options.node("headers") {
            headers = try node.pairs("headers").map { ($0.key, try $0.value.template("header \($0.key)")) }
        }
        let json = try options.node("json")?.value()
        let body = try options.template("body")
        if json != nil, body != nil { throw value.error("give either json: or body:, not both") }
        let captures = try options.node("capture").map(parseCaptures) ?? []
        return RequestStep(
            method: parts[0], path: path, pod: try options.pod(), caller: caller, auth: auth, headers: headers,
            json: json, body: body, expect: try options.node("expect").map(parseExpectation) ?? ResponseExpectation(location: value.location),
            captures: captures)
    }

    /// A request's `capture: {var: path}`: a body path, or `header.NAME` for a response header.
    static func parseCaptures(_ node: YAMLNode) throws -> [ResponseCapture] {
        try node.pairs("capture").map { pair in
            let name = try identifier(pair.keyNode, "capture")
            let written = try pair.value.string("capture \(pair.key)")
            guard written.hasPrefix(headerPrefix) else {
                return ResponseCapture(name: name, source: .body(path: written), location: pair.value.location)
            }
            let header = written.dropFirst(headerPrefix.count)
            guard isHeaderName(header) else {
                throw pair.value.error("capture \(pair.key): '\(written)' needs a header name after 'header.', e.g. header.set-cookie")
            }
            return ResponseCapture(name: name, source: .header(header.lowercased()), location: pair.value.location)
        }
    }

    /// How a capture names a response header: `header.set-cookie` (a body field named `header`
    /// is written `$.header.…`).
    static let headerPrefix = "header."

    /// An HTTP header name: letters, digits and `!#$%&'*+-.^_`|~`.
    static func isHeaderName(_ text: Substring) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "!#$%&'*+-.^_`|~".contains($0)) }
    }

    static func parseExpectation(_ node: YAMLNode) throws -> ResponseExpectation {
        let members = try node.members("expect", allowed: ["status", "json", "paths", "headers", "bodyContains", "bodyNotContains"])
        var expectation = ResponseExpectation(location: node.location)
        expectation.status = try members["status"].map(parseStatus)
        expectation.json = try members["json"]?.value()
        if let paths = members["paths"] {
            expectation.paths = try paths.pairs("expect.paths").map { ($0.key, try $0.value.value()) }
        }
        if let headers = members["headers"] {
            expectation.headers = try headers.pairs("expect.headers").map { ($0.key, try $0.value.template("header \($0.key)")) }
        }
        expectation.bodyContains = try members["bodyContains"]?.template("expect.bodyContains")
        expectation.bodyNotContains = try members["bodyNotContains"]?.template("expect.bodyNotContains")
        return expectation
    }

    /// `expect.status`: `202`, `[202, 409]` or `{atLeast: 400, atMost: 499}` (either bound may go).
    static func parseStatus(_ node: YAMLNode) throws -> StatusExpectation {
        let statuses = 100...599
        if node.node.sequence != nil {
            let items = try node.items("expect.status")
            if items.isEmpty { throw node.error("expect.status lists no status; write one or more, e.g. [202, 409]") }
            return .anyOf(try items.map { try $0.int("expect.status", in: statuses) })
        }
        if node.node.mapping != nil {
            let members = try node.members("expect.status", allowed: ["atLeast", "atMost"])
            let low = try members["atLeast"]?.int("expect.status.atLeast", in: statuses) ?? statuses.lowerBound
            let high = try members["atMost"]?.int("expect.status.atMost", in: statuses) ?? statuses.upperBound
            if members.isEmpty { throw node.error("expect.status needs atLeast:, atMost: or both") }
            if low > high { throw node.error("expect.status: atLeast \(low) is above atMost \(high)") }
            return .range(low...high)
        }
        return .exactly(try node.int("expect.status", in: statuses))
    }

    // MARK: Checks

    static let threadFields = [
        "status", "runState", "owner", "partCount", "attempt", "error", "sandboxCount", "sandboxProviderKind", "runCount",
        "failureKind", "failureReason", "fence", "executorPod", "gatePod", "renderableParts",
    ]
    /// Thread fields only one profile reports: seed's run lease (`currentRun`, `runOwnerPod`)
    /// and hosted's turn state; the rest mean the same in both.
    static let threadFieldProfiles: [String: ServerProfile] = [
        "runState": .seed, "attempt": .seed, "owner": .seed, "error": .seed,
        "failureKind": .hosted, "failureReason": .hosted, "fence": .hosted, "executorPod": .hosted, "gatePod": .hosted,
        "renderableParts": .hosted,
    ]
    /// What a hosted scenario reads instead of a seed-only thread field.
    static let hostedCounterparts = ["owner": "executorPod", "error": "failureReason", "runState": "status", "attempt": "fence"]
    static let streamKeys = ["contains", "notContains", "count", "order", "noDuplicates", "stampedAfter", "type", "frames", "stages"]
    /// The `data-run-status` stages a hosted stream can carry, in the order a turn reaches them
    /// (spec 2.4: the seven of the real server, and `waiting-capacity` repeats while queued).
    static let runStages = [
        "waiting-runner", "starting-run", "waiting-capacity", "gathering-context", "preparing-tools", "starting-sandbox",
        "starting-assistant", "analyzing-scope",
    ]
    /// The `failure_kind` values of the hosted profile (spec 3.8).
    static let failureKinds = [
        "liveness", "projection", "harness", "stall", "credits", "sandbox_unreachable", "cancelled", "overloaded", "context_length",
        "model_error", "timeout", "error",
    ]

    /// The values a checked field can have, as the pods report it, so a check cannot wait for
    /// a value that never comes.
    struct FieldValues: CustomStringConvertible {
        enum Kind {
            /// A whole number, 0 or more.
            case count
            /// One of these words.
            case word([String])
            /// A pod's name; the validator checks the pod exists.
            case pod
            /// Any text.
            case text
            /// Anything: a store query's result.
            case any
        }

        var kind: Kind
        /// Whether the field can be null, e.g. `runState` before the thread's first run.
        var nullable = false

        var description: String {
            let values = switch kind {
            case .count: "a whole number, 0 or more"
            case .word(let words): "one of \(words.joined(separator: ", "))"
            case .pod: "a pod name such as pod-1"
            case .text: "text"
            case .any: "any value"
            }
            return nullable ? values + " or null" : values
        }

        /// Whether `atLeast`, `atMost` and `greaterThan` can compare it.
        var isNumeric: Bool {
            switch kind {
            case .count, .any: true
            case .word, .pod, .text: false
            }
        }
    }

    static func values(ofThreadField field: String) -> FieldValues {
        switch field {
        case "status": FieldValues(kind: .word([ThreadStatus.completed, .inProgress, .failed].map(\.rawValue)))
        case "runState": FieldValues(kind: .word([RunState.queued, .running, .completed, .failed].map(\.rawValue)), nullable: true)
        case "sandboxProviderKind": FieldValues(kind: .word(SandboxKind.allCases.map(\.rawValue)), nullable: true)
        case "owner", "executorPod", "gatePod": FieldValues(kind: .pod, nullable: true)
        case "error", "failureReason", "fence": FieldValues(kind: .text, nullable: true)
        case "failureKind": FieldValues(kind: .word(failureKinds), nullable: true)
        case "attempt": FieldValues(kind: .count, nullable: true)
        default: FieldValues(kind: .count)
        }
    }

    static func parseCheck(_ node: YAMLNode) throws -> Check {
        let pairs = try node.pairs("a check")
        let subjects = ["thread", "watcher", "providerCalls", "store", "log", "request"]
        guard let subjectPair = pairs.first(where: { subjects.contains($0.key) }) else {
            throw node.error("a check needs a subject: one of \(subjects.joined(separator: ", "))")
        }
        let options = StepOptions(node: node, kindKey: subjectPair.key, pairs: pairs)
        let subject: Check.Subject
        var expectations: [Expectation] = []
        var captures: [(String, String)] = []
        switch subjectPair.key {
        case "thread":
            subject = .thread(name: try identifier(subjectPair.value, "thread"), caller: try options.caller(), pod: try options.optionalPod())
            for field in threadFields {
                if let value = options.node(field) {
                    let comparison = try comparison(value, field, values(ofThreadField: field))
                    expectations.append(Expectation(kind: .field(field, comparison), location: value.location))
                }
            }
            if let node = options.node("capture") {
                captures = try node.pairs("capture").map { pair in
                    let field = try pair.value.string("capture \(pair.key)")
                    guard threadFields.contains(field) else { throw pair.value.error(unknownMessage("thread field", field, expected: threadFields)) }
                    return (try identifier(pair.keyNode, "capture"), field)
                }
            }
        case "watcher":
            subject = .watcher(try identifier(subjectPair.value, "watcher"))
            expectations = try options.streamExpectations()
        case "providerCalls":
            subject = .providerCalls(thread: try identifier(subjectPair.value, "providerCalls"))
            if let value = options.node("equals") {
                expectations.append(Expectation(kind: .field("equals", try comparison(value, "equals", FieldValues(kind: .count))), location: value.location))
            }
        case "store":
            subject = .store(sql: try subjectPair.value.template("store"))
            if let value = options.node("equals") {
                expectations.append(Expectation(kind: .field("equals", try comparison(value, "equals", FieldValues(kind: .any))), location: value.location))
            }
        case "log":
            subject = .log(process: try processReference(subjectPair.value, "log"))
            expectations = try options.streamExpectations()
        default:
            subject = .request(try parseRequest(subjectPair.value, options))
        }
        if case .request = subject {} else if expectations.isEmpty {
            throw node.error("this check expects nothing; add a condition such as status:, equals:, contains: or count:")
        }
        try options.rejectUnused()
        return Check(subject: subject, expectations: expectations, captures: captures, location: node.location)
    }

    static func comparison(_ node: YAMLNode, _ field: String, _ values: FieldValues) throws -> Comparison {
        if node.node.mapping != nil {
            let pairs = try node.pairs("a comparison")
            guard pairs.count == 1, let (key, keyNode, value) = pairs.first else {
                throw node.error("a comparison has one operator: not, atLeast, atMost, greaterThan or contains")
            }
            func number() throws -> Double {
                guard values.isNumeric else { throw keyNode.error("\(key) compares numbers, but \(field) is \(values)") }
                guard case .number(let number) = try value.value() else { throw value.error("\(key) needs a number") }
                return number
            }
            switch key {
            case "not": return .not(try fieldValue(value, field, values))
            case "atLeast": return .atLeast(try number())
            case "atMost": return .atMost(try number())
            case "greaterThan": return .greaterThan(try number())
            case "contains":
                guard !values.isNumeric else { throw keyNode.error("contains matches text, but \(field) is \(values)") }
                return .contains(try value.template("\(field).contains"))
            default: throw keyNode.error(unknownMessage("comparison", key, expected: ["not", "atLeast", "atMost", "greaterThan", "contains"]))
            }
        }
        return .equals(try fieldValue(node, field, values))
    }

    /// A value `field` can have, or a template, whose value is known only when the step runs.
    static func fieldValue(_ node: YAMLNode, _ field: String, _ values: FieldValues) throws -> TemplateValue {
        let value = try node.value()
        if case .string(let template) = value, try !template.references().isEmpty { return value }
        switch (value, values.kind) {
        case (_, .any), (.string, .pod), (.string, .text), (.number, .text), (.bool, .text):
            return value
        case (.null, _):
            if values.nullable { return value }
        case (.number(let number), .count):
            if number >= 0, number == number.rounded() { return value }
        case (.string(let text), .count):
            if let number = Int(text.raw), number >= 0 { return value }
        case (.string(let text), .word(let words)):
            if words.contains(text.raw) { return value }
            throw node.error(unknownMessage(field, text.raw, expected: words))
        default:
            break
        }
        let written = node.node.scalar.map { "'\($0.string)'" } ?? "a list or mapping"
        throw node.error("\(field) must be \(values), got \(written)")
    }
}

/// The keys of one step beside its kind; tracks which were used so leftovers (typos) are errors.
final class StepOptions {
    private let node: YAMLNode
    private let kindKey: String
    private var values: [String: (key: YAMLNode, value: YAMLNode)] = [:]
    private var used: Set<String>
    /// The options a step kind takes (`ScenarioParser.stepOptions`); nil for a check's subject.
    private let declared: [String]?

    init(node: YAMLNode, kindKey: String, pairs: [(key: String, keyNode: YAMLNode, value: YAMLNode)], declared: [String]? = nil) {
        self.node = node
        self.kindKey = kindKey
        self.declared = declared
        for pair in pairs { values[pair.key] = (pair.keyNode, pair.value) }
        used = [kindKey]
    }

    /// Where each option beside the kind was written.
    var locations: [String: SourceLocation] {
        values.filter { $0.key != kindKey }.mapValues(\.key.location)
    }

    func node(_ key: String) -> YAMLNode? {
        used.insert(key)
        return values[key]?.value
    }

    func string(_ key: String) throws -> String? { try node(key)?.string(key) }
    func template(_ key: String) throws -> Template? { try node(key)?.template(key) }
    func duration(_ key: String) throws -> Duration? { try node(key)?.duration(key) }
    func int(_ key: String, in range: ClosedRange<Int>) throws -> Int? { try node(key)?.int(key, in: range) }
    func name(_ key: String) throws -> String? { try node(key).map { try ScenarioParser.identifier($0, key) } }

    func requiredName(_ key: String) throws -> String {
        guard let value = try name(key) else { throw node.error("'\(kindKey)' needs '\(key):'") }
        return value
    }

    /// The caller named by `as:`; empty when omitted, which means the scenario's only bootstrap.
    func caller() throws -> String {
        try name("as") ?? ""
    }

    func pod() throws -> ProcessReference {
        try optionalPod() ?? ProcessReference(named: Template(raw: "pod-1", location: node.location))
    }

    func optionalPod() throws -> ProcessReference? { try node("on").map { try ScenarioParser.processReference($0, "on") } }

    /// A block's `steps:` (`repeat`, `within`): at least one.
    func block() throws -> [Step] {
        guard let steps = node("steps") else { throw node.error("'\(kindKey)' needs 'steps:', the steps it runs") }
        let parsed = try ScenarioParser.parseSteps(steps, "\(kindKey).steps")
        if parsed.isEmpty { throw steps.error("\(kindKey).steps needs at least one step") }
        return parsed
    }

    func streamExpectations() throws -> [Expectation] {
        var expectations: [Expectation] = []
        if let value = node("contains") {
            for item in try list(value) { expectations.append(Expectation(kind: .contains(try item.template("contains")), location: item.location)) }
        }
        if let value = node("notContains") {
            for item in try list(value) { expectations.append(Expectation(kind: .notContains(try item.template("notContains")), location: item.location)) }
        }
        if let value = node("count") {
            for (text, keyNode, count) in try value.pairs("count") {
                expectations.append(Expectation(kind: .count(Template(raw: text, location: keyNode.location), try occurrences(count, of: text)), location: keyNode.location))
            }
        }
        /// A count: `2`, or `{atLeast: 1}`, `{atMost: 3}` or both.
        func occurrences(_ node: YAMLNode, of text: String) throws -> Occurrences {
            let limit = 0...ScenarioParser.countLimit
            guard node.node.mapping != nil else {
                let exactly = try node.int("count of \(text)", in: limit)
                return Occurrences(exactly...exactly)
            }
            let members = try node.members("count of \(text)", allowed: ["atLeast", "atMost"])
            if members.isEmpty { throw node.error("count of \(text) needs atLeast:, atMost: or both") }
            let low = try members["atLeast"]?.int("count of \(text).atLeast", in: limit) ?? 0
            let high = try members["atMost"]?.int("count of \(text).atMost", in: limit) ?? limit.upperBound
            if low > high { throw node.error("count of \(text): atLeast \(low) is above atMost \(high)") }
            return Occurrences(low...high)
        }
        if let value = node("order") {
            expectations.append(Expectation(kind: .order(try value.items("order").map { try $0.template("order") }), location: value.location))
        }
        if let value = node("noDuplicates") {
            guard try value.string("noDuplicates") == "true" else { throw value.error("noDuplicates can only be true") }
            expectations.append(Expectation(kind: .noDuplicates, location: value.location))
        }
        if let value = node("stampedAfter") {
            let time = try value.template("stampedAfter")
            if try time.references().isEmpty, Int64(time.raw) == nil {
                throw value.error("stampedAfter needs a time in ms, such as ${killedAt}, got '\(time.raw)'")
            }
            expectations.append(Expectation(kind: .stampedAfter(time), location: value.location))
        }
        if let value = node("type") {
            for item in try list(value) { expectations.append(Expectation(kind: .chunkType(try item.template("type")), location: item.location)) }
        }
        if let value = node("stages") {
            let stages = try value.items("stages").map { item in
                let stage = try item.string("a stage")
                guard ScenarioParser.runStages.contains(stage) else {
                    throw item.error(unknownMessage("stage", stage, expected: ScenarioParser.runStages))
                }
                return stage
            }
            if stages.isEmpty { throw value.error("stages needs at least one stage") }
            expectations.append(Expectation(kind: .stages(stages), location: value.location))
        }
        if let value = node("frames") {
            let pairs = try value.pairs("frames")
            guard pairs.count == 1, pairs[0].key == "atLeast" else { throw value.error("frames takes atLeast: N") }
            expectations.append(Expectation(kind: .framesAtLeast(try pairs[0].value.int("frames.atLeast", in: 1...ScenarioParser.countLimit)), location: value.location))
        }
        return expectations
    }

    private func list(_ node: YAMLNode) throws -> [YAMLNode] {
        node.node.sequence != nil ? try node.items("a list") : [node]
    }

    /// Fails on the first key no part of the step asked for, offering the options its kind takes.
    func rejectUnused() throws {
        for (key, entry) in values where !used.contains(key) {
            let expected = declared ?? Array(used.subtracting([kindKey])).sorted()
            guard !expected.isEmpty else { throw entry.key.error("unknown key '\(key)': a '\(kindKey)' step takes no options") }
            throw entry.key.error(unknownMessage("key in '\(kindKey)' step", key, expected: expected))
        }
    }
}
