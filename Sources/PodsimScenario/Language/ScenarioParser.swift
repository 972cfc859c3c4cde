import Foundation
import PodsimPod

/// Reads a scenario file into a `Scenario`, failing with the file, line and column of the
/// first problem and what was expected there.
public enum ScenarioParser {
    static let topLevelKeys = ["name", "description", "guards", "cluster", "timeout", "steps"]
    static let clusterKeys = ["pods", "env", "podEnv", "bugs", "lease", "poll", "keepalive", "drain"]
    /// The key that names each step kind.
    static let stepKeys = [
        "bootstrap", "agent", "thread", "send", "request", "attach", "detach", "await", "check", "eventually", "stable",
        "kill", "stop", "start", "pause", "resume", "restart", "owner", "link-daemon", "release", "record", "wait", "parallel",
    ]

    public static func parse(file path: String) throws -> Scenario {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ScenarioError(SourceLocation(file: path, line: 1, column: 1), "cannot read the file: \(error.localizedDescription)")
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws -> Scenario {
        let root = try YAMLNode.load(text, file: file)
        let members = try root.members("a scenario", allowed: topLevelKeys)
        guard let stepsNode = members["steps"] else { throw root.error("missing 'steps': a scenario needs at least one step") }
        let defaultName = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        let guards = try members["guards"].map { try bugList($0, "guards") } ?? []
        let steps = try stepsNode.items("steps").map(parseStep)
        if steps.isEmpty { throw stepsNode.error("'steps' is empty: a scenario needs at least one step") }
        return Scenario(
            name: try members["name"]?.string("name") ?? defaultName,
            description: try members["description"]?.string("description"),
            file: file, guards: guards,
            cluster: try members["cluster"].map(parseCluster) ?? ClusterBlock(),
            timeout: try members["timeout"]?.duration("timeout") ?? .seconds(60),
            steps: steps)
    }

    static func parseCluster(_ node: YAMLNode) throws -> ClusterBlock {
        let members = try node.members("cluster", allowed: clusterKeys)
        var cluster = ClusterBlock()
        if let pods = members["pods"] {
            cluster.pods = try pods.int("cluster.pods")
            guard (1...64).contains(cluster.pods) else { throw pods.error("cluster.pods must be between 1 and 64") }
        }
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
        if let bugs = members["bugs"] { cluster.bugs = try bugList(bugs, "cluster.bugs") }
        func millis(_ key: String) throws -> Int64? {
            guard let node = members[key] else { return nil }
            let value = Int64(try node.duration("cluster.\(key)") / .milliseconds(1))
            guard value > 0 else { throw node.error("cluster.\(key) must be longer than 0ms") }
            return value
        }
        cluster.timings.leaseMillis = try millis("lease") ?? cluster.timings.leaseMillis
        cluster.timings.pollMillis = try millis("poll") ?? cluster.timings.pollMillis
        cluster.timings.keepaliveMillis = try millis("keepalive") ?? cluster.timings.keepaliveMillis
        cluster.timings.drainMillis = try millis("drain") ?? cluster.timings.drainMillis
        return cluster
    }

    static func bugList(_ node: YAMLNode, _ what: String) throws -> [BugSwitch] {
        try node.items(what).map { item -> BugSwitch in
            let id = try item.string("a bug id")
            guard let bug = BugSwitch(rawValue: id) else {
                throw item.error(unknownMessage("bug id", id, expected: BugSwitch.allCases.map(\.rawValue)))
            }
            return bug
        }
    }

    // MARK: Steps

    static func parseStep(_ node: YAMLNode) throws -> Step {
        let pairs = try node.pairs("a step")
        // The first key names the step kind; the keys after it are its options.
        guard let first = pairs.first else { throw node.error("an empty step; expected one of: \(stepKeys.joined(separator: ", "))") }
        guard stepKeys.contains(first.key) else { throw first.keyNode.error(unknownMessage("step", first.key, expected: stepKeys)) }
        let (kindKey, kindNode) = (first.key, first.value)
        let options = StepOptions(node: node, kindKey: kindKey, pairs: pairs)
        let kind = try parseKind(kindKey, kindNode, options)
        try options.rejectUnused()
        return Step(location: node.location, kind: kind)
    }

    static func parseKind(_ key: String, _ value: YAMLNode, _ options: StepOptions) throws -> StepKind {
        switch key {
        case "bootstrap":
            return .bootstrap(name: try identifier(value, "bootstrap"), pod: try options.pod())
        case "agent":
            return .agent(
                name: try identifier(value, "agent"), session: try options.session(),
                pod: try options.pod(), title: try options.template("title") ?? Template(raw: "agent", location: value.location))
        case "thread":
            return .thread(
                name: try identifier(value, "thread"), session: try options.session(), agent: try options.requiredName("agent"),
                pod: try options.pod(), id: try options.template("id"))
        case "send":
            return .send(
                SendStep(
                    text: try value.template("send"), thread: try options.requiredName("thread"), session: try options.session(),
                    pod: try options.pod(), kind: try options.template("kind"), messageId: try options.template("messageId"),
                    expect: try options.node("expect").map(parseExpectation) ?? ResponseExpectation(status: 202, location: value.location)))
        case "request":
            return .request(try parseRequest(value, options))
        case "attach":
            return .attach(
                name: try identifier(value, "attach"), thread: try options.requiredName("thread"), session: try options.session(),
                pod: try options.pod())
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
            return .fault(FaultAction(rawValue: key)!, target: try value.template(key), record: try options.name("record"))
        case "owner":
            return .owner(
                thread: try identifier(value, "owner"), session: try options.session(), into: try options.requiredName("into"),
                attempt: try options.int("attempt"), timeout: try options.duration("timeout") ?? .seconds(15))
        case "link-daemon":
            return .linkDaemon(
                name: try identifier(value, "link-daemon"), session: try options.session(),
                ttl: try options.duration("ttl") ?? .seconds(3))
        case "release":
            return .releaseGate(try value.template("release"))
        case "record":
            return .record(name: try identifier(value, "record"))
        case "wait":
            return .wait(try value.duration("wait"))
        case "parallel":
            let steps = try value.items("parallel").map(parseStep)
            if steps.isEmpty { throw value.error("parallel needs at least one step") }
            return .parallel(steps)
        default:
            throw value.error(unknownMessage("step", key, expected: stepKeys))
        }
    }

    static func identifier(_ node: YAMLNode, _ what: String) throws -> String {
        let name = try node.string(what)
        guard let first = name.first, first.isLetter || first == "_",
            name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" })
        else {
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
        var session = try options.name("as")
        let authText = try options.string("auth")
        guard let auth = authText.map({ RequestStep.Auth(rawValue: $0) }) ?? (session == nil ? RequestStep.Auth.none : .bearer) else {
            throw options.node("auth")!.error(unknownMessage("auth", authText ?? "", expected: ["bearer", "cookie", "none"]))
        }
        if auth != .none, session == nil { session = "" }
        var headers: [(String, Template)] = []
        if let node = options.node("headers") {
            headers = try node.pairs("headers").map { ($0.key, try $0.value.template("header \($0.key)")) }
        }
        let json = try options.node("json")?.value()
        let body = try options.template("body")
        if json != nil, body != nil { throw value.error("give either json: or body:, not both") }
        var captures: [(String, String)] = []
        if let node = options.node("capture") {
            captures = try node.pairs("capture").map { ($0.key, try $0.value.string("capture \($0.key)")) }
        }
        return RequestStep(
            method: parts[0], path: path, pod: try options.pod(), session: session, auth: auth, headers: headers,
            json: json, body: body, expect: try options.node("expect").map(parseExpectation) ?? ResponseExpectation(location: value.location),
            captures: captures)
    }

    static func parseExpectation(_ node: YAMLNode) throws -> ResponseExpectation {
        let members = try node.members("expect", allowed: ["status", "json", "paths", "headers", "bodyContains"])
        var expectation = ResponseExpectation(location: node.location)
        if let status = members["status"] {
            expectation.status = try status.int("expect.status")
            guard (100...599).contains(expectation.status!) else { throw status.error("expect.status must be an HTTP status (100-599)") }
        }
        expectation.json = try members["json"]?.value()
        if let paths = members["paths"] {
            expectation.paths = try paths.pairs("expect.paths").map { ($0.key, try $0.value.value()) }
        }
        if let headers = members["headers"] {
            expectation.headers = try headers.pairs("expect.headers").map { ($0.key, try $0.value.template("header \($0.key)")) }
        }
        expectation.bodyContains = try members["bodyContains"]?.template("expect.bodyContains")
        return expectation
    }

    // MARK: Checks

    static let threadFields = [
        "status", "runState", "owner", "partCount", "attempt", "error", "sandboxCount", "sandboxProviderKind", "runCount",
    ]
    static let streamKeys = ["contains", "notContains", "count", "order", "noDuplicates", "stampedAfter", "type", "frames"]

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
            subject = .thread(name: try identifier(subjectPair.value, "thread"), session: try options.session(), pod: try options.optionalPod())
            for field in threadFields {
                if let value = options.node(field) {
                    expectations.append(Expectation(kind: .field(field, try comparison(value)), location: value.location))
                }
            }
            if let node = options.node("capture") {
                captures = try node.pairs("capture").map { pair in
                    let field = try pair.value.string("capture \(pair.key)")
                    guard threadFields.contains(field) else { throw pair.value.error(unknownMessage("thread field", field, expected: threadFields)) }
                    return (pair.key, field)
                }
            }
        case "watcher":
            subject = .watcher(try identifier(subjectPair.value, "watcher"))
            expectations = try options.streamExpectations()
        case "providerCalls":
            subject = .providerCalls(thread: try identifier(subjectPair.value, "providerCalls"))
            if let value = options.node("equals") { expectations.append(Expectation(kind: .field("equals", try comparison(value)), location: value.location)) }
        case "store":
            subject = .store(sql: try subjectPair.value.template("store"))
            if let value = options.node("equals") { expectations.append(Expectation(kind: .field("equals", try comparison(value)), location: value.location)) }
        case "log":
            subject = .log(process: try subjectPair.value.template("log"))
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

    static func comparison(_ node: YAMLNode) throws -> Comparison {
        if node.node.mapping != nil {
            let pairs = try node.pairs("a comparison")
            guard pairs.count == 1, let (key, _, value) = pairs.first else {
                throw node.error("a comparison has one operator: not, atLeast, atMost or greaterThan")
            }
            func number() throws -> Double {
                guard case .number(let number) = try value.value() else { throw value.error("\(key) needs a number") }
                return number
            }
            switch key {
            case "not": return .not(try value.value())
            case "atLeast": return .atLeast(try number())
            case "atMost": return .atMost(try number())
            case "greaterThan": return .greaterThan(try number())
            default: throw pairs[0].keyNode.error(unknownMessage("comparison", key, expected: ["not", "atLeast", "atMost", "greaterThan"]))
            }
        }
        return .equals(try node.value())
    }
}

/// The keys of one step beside its kind; tracks which were used so leftovers (typos) are errors.
final class StepOptions {
    private let node: YAMLNode
    private let kindKey: String
    private var values: [String: (key: YAMLNode, value: YAMLNode)] = [:]
    private var used: Set<String>

    init(node: YAMLNode, kindKey: String, pairs: [(key: String, keyNode: YAMLNode, value: YAMLNode)]) {
        self.node = node
        self.kindKey = kindKey
        for pair in pairs { values[pair.key] = (pair.keyNode, pair.value) }
        used = [kindKey]
    }

    func node(_ key: String) -> YAMLNode? {
        used.insert(key)
        return values[key]?.value
    }

    func string(_ key: String) throws -> String? { try node(key)?.string(key) }
    func template(_ key: String) throws -> Template? { try node(key)?.template(key) }
    func duration(_ key: String) throws -> Duration? { try node(key)?.duration(key) }
    func int(_ key: String) throws -> Int? { try node(key)?.int(key) }
    func name(_ key: String) throws -> String? { try node(key).map { try ScenarioParser.identifier($0, key) } }

    func requiredName(_ key: String) throws -> String {
        guard let value = try name(key) else { throw node.error("'\(kindKey)' needs '\(key):'") }
        return value
    }

    /// The caller named by `as:`; empty when omitted, which means the scenario's only bootstrap.
    func session() throws -> String {
        try name("as") ?? ""
    }

    func pod() throws -> ProcessReference {
        try template("on") ?? Template(raw: "pod-1", location: node.location)
    }

    func optionalPod() throws -> ProcessReference? { try template("on") }

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
                expectations.append(Expectation(kind: .count(Template(raw: text, location: keyNode.location), try count.int("count of \(text)")), location: keyNode.location))
            }
        }
        if let value = node("order") {
            expectations.append(Expectation(kind: .order(try value.items("order").map { try $0.template("order") }), location: value.location))
        }
        if let value = node("noDuplicates") {
            guard try value.string("noDuplicates") == "true" else { throw value.error("noDuplicates can only be true") }
            expectations.append(Expectation(kind: .noDuplicates, location: value.location))
        }
        if let value = node("stampedAfter") {
            expectations.append(Expectation(kind: .stampedAfter(try value.template("stampedAfter")), location: value.location))
        }
        if let value = node("type") {
            for item in try list(value) { expectations.append(Expectation(kind: .chunkType(try item.template("type")), location: item.location)) }
        }
        if let value = node("frames") {
            let pairs = try value.pairs("frames")
            guard pairs.count == 1, pairs[0].key == "atLeast" else { throw value.error("frames takes atLeast: N") }
            expectations.append(Expectation(kind: .framesAtLeast(try pairs[0].value.int("frames.atLeast")), location: value.location))
        }
        return expectations
    }

    private func list(_ node: YAMLNode) throws -> [YAMLNode] {
        node.node.sequence != nil ? try node.items("a list") : [node]
    }

    /// Fails on the first key no part of the step asked for.
    func rejectUnused() throws {
        for (key, entry) in values where !used.contains(key) {
            throw entry.key.error(unknownMessage("key in '\(kindKey)' step", key, expected: Array(used.subtracting([kindKey])).sorted()))
        }
    }
}
