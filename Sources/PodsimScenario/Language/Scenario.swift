import PodsimCheckers
import PodsimModel

/// Where something was written: the scenario file, line and column (1-based).
public struct SourceLocation: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// One scenario file: the cluster it needs, the bugs it must catch, and its steps.
public struct Scenario: Sendable {
    public var name: String
    public var description: String?
    public var file: String
    public var guards: [BugSwitch]
    /// Open bugs whose real-server outcome the scenario asserts (`reproduces:`): it passes on the
    /// default and must fail with the bug's candidate fix on (the symptom gone).
    public var reproduces: [OpenBug] = []
    public var cluster: ClusterBlock
    /// `checks:`: the checkers this scenario turns off, each with its reason.
    public var checks = CheckSettings()
    public var timeout: Duration
    public var steps: [Step]
    /// What the file turns on that only one profile has (cluster knobs, bug switches), checked
    /// against the scenario's profile by the validator.
    public var profileBound: [ProfileBound] = []

    /// The profile the scenario runs: its own `cluster.profile`, else the default.
    public var profile: ServerProfile { cluster.profile ?? .default }
}

/// The `checks:` block. Every checker judges every run's history unless the scenario skips it
/// by name with a reason; a skipped checker still runs and its findings are shown, unjudged.
public struct CheckSettings: Sendable, Equatable {
    public var skip: [CheckerName: String] = [:]
}

/// The `cluster:` block.
public struct ClusterBlock: Sendable, Equatable {
    public var pods = 3
    public var environment: [String: String] = [:]
    public var podEnvironment: [String: [String: String]] = [:]
    public var bugs: [BugSwitch] = []
    /// `fixes:`: candidate fixes of open bugs to switch on.
    public var fixes: [OpenBug] = []
    public var timings = PodTimings()
    /// `profile:`; nil when the file names none (the runner's `--profile` or `seed` applies).
    public var profile: ServerProfile?
    public var hosted = HostedSettings()
}

/// Something written in a scenario that only one server profile has, and where.
public struct ProfileBound: Sendable, Equatable {
    /// How the error names it: `cluster.lease`, `bug switch no-reclaim`.
    public var what: String
    public var profile: ServerProfile
    public var location: SourceLocation
}

/// A string with `${…}` references, resolved when the step runs.
public struct Template: Sendable, Equatable, CustomStringConvertible {
    public var raw: String
    public var location: SourceLocation

    public var description: String { raw }

    /// One piece of a template: text kept as written, or a `${…}` reference.
    public enum Piece: Sendable, Equatable {
        case text(Substring)
        case reference(Reference)
    }

    /// The template cut into text and references. Fails on a `${` with no closing `}` and on a
    /// reference that is not `${name}` or `${name.field}`.
    public func pieces() throws(ScenarioError) -> [Piece] {
        var pieces: [Piece] = []
        var rest = raw[...]
        var at = location
        while let start = rest.range(of: "${") {
            at.column += rest.distance(from: rest.startIndex, to: start.lowerBound)
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw ScenarioError(at, "'${' has no closing '}'")
            }
            let parts = rest[start.upperBound..<end].split(separator: ".", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), let name = parts.first, Reference.isName(name), parts.dropFirst().allSatisfy(Reference.isField) else {
                throw ScenarioError(at, "bad reference '\(rest[start.lowerBound...end])'; write ${name} or ${name.field}")
            }
            if start.lowerBound > rest.startIndex { pieces.append(.text(rest[..<start.lowerBound])) }
            pieces.append(.reference(Reference(name: String(name), field: parts.dropFirst().first.map(String.init), location: at)))
            rest = rest[rest.index(after: end)...]
            at.column += raw.distance(from: start.lowerBound, to: rest.startIndex)
        }
        if !rest.isEmpty { pieces.append(.text(rest)) }
        return pieces
    }

    /// The references, in the order written.
    public func references() throws(ScenarioError) -> [Reference] {
        try pieces().compactMap { piece in
            if case .reference(let reference) = piece { reference } else { nil }
        }
    }
}

extension Template {
    /// A `${name}` or `${name.field}` in a template, and where it starts.
    public struct Reference: Sendable, Equatable {
        /// The variable: `s`, `o`, `uuid`.
        public var name: String
        /// The field after the dot: `orgSlug` in `${s.orgSlug}`, `next` in `${o.next}`.
        public var field: String?
        public var location: SourceLocation

        /// The name the value is stored under while the scenario runs: `s.orgSlug`.
        public var key: String { field.map { "\(name).\($0)" } ?? name }

        /// How every name in a scenario is spelled: a letter or `_`, then letters, digits, `_` or `-`.
        static func isName(_ text: Substring) -> Bool {
            guard let first = text.first, first.isLetter || first == "_" else { return false }
            return isField(text)
        }

        /// How a field is spelled: letters, digits, `_` or `-`.
        static func isField(_ text: Substring) -> Bool {
            !text.isEmpty && text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
        }
    }
}

/// A JSON-like value from the scenario, with templates in its strings.
public indirect enum TemplateValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(Template)
    case array([TemplateValue])
    case object([(String, TemplateValue)])

    public static func == (lhs: TemplateValue, rhs: TemplateValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.number(let a), .number(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)): a.map(\.0) == b.map(\.0) && a.map(\.1) == b.map(\.1)
        default: false
        }
    }

    var templates: [Template] {
        switch self {
        case .null, .bool, .number: []
        case .string(let template): [template]
        case .array(let items): items.flatMap(\.templates)
        case .object(let members): members.flatMap(\.1.templates)
        }
    }
}

/// One step of a scenario and where it was written.
public struct Step: Sendable {
    public var location: SourceLocation
    public var kind: StepKind
    /// Where each option beside the step's kind was written (`attempt`, `of`, …), for errors
    /// about one option.
    public var optionLocations: [String: SourceLocation] = [:]

    /// A short human label, e.g. `kill ${owner}` or `check watcher w2`.
    public var label: String { kind.label }

    /// Whether the step is one of the scenario's own assertions (a check, or a call with an
    /// expected answer) rather than an action: `--checkers-only` passes over its failures.
    public var isAssertion: Bool {
        switch kind {
        case .check, .eventually, .stable, .send, .request: true
        default: false
        }
    }
}

/// Which pod (or process) a step talks to: a name like `pod-2`, possibly from a variable, or a
/// pod chosen when the step runs (`any`, `{notIn: [pod-1, "${o}"]}`): the first running pod, in
/// number order, that is not excluded, so a failing run picks the same pod again.
public struct ProcessReference: Sendable, Equatable, CustomStringConvertible {
    public enum Choice: Sendable, Equatable {
        /// The process of this name: `pod-2`, `mock-ai`, `${o}`, a link daemon.
        case named(Template)
        /// The first running pod that none of these name (`any`: none excluded).
        case anyPod(excluding: [Template])
    }

    public var choice: Choice
    /// Where the reference was written.
    public var location: SourceLocation

    public init(_ choice: Choice, location: SourceLocation) {
        self.choice = choice
        self.location = location
    }

    /// A process named by `template`.
    public init(named template: Template) {
        self.init(.named(template), location: template.location)
    }

    /// The word that picks any running pod.
    public static let anyPodWord = "any"

    public var description: String {
        switch choice {
        case .named(let template): template.raw
        case .anyPod(let excluded) where excluded.isEmpty: "any pod"
        case .anyPod(let excluded): "any pod but " + excluded.map(\.raw).joined(separator: ", ")
        }
    }
}

/// Everything a step can do.
public indirect enum StepKind: Sendable {
    case bootstrap(name: String, pod: ProcessReference)
    case agent(name: String, caller: String, pod: ProcessReference, title: Template)
    case thread(name: String, caller: String, agent: String, pod: ProcessReference, id: Template?)
    case send(SendStep)
    case request(RequestStep)
    /// `expect:` the status the stream must answer; nil: 200. A watcher whose stream did not
    /// answer 2xx is closed at once.
    case attach(name: String, thread: String, caller: String, pod: ProcessReference, expect: StatusExpectation?)
    case detach(name: String)
    case check(Check)
    case eventually(Check, timeout: Duration, interval: Duration)
    case stable(Check, window: Duration, interval: Duration)
    case fault(FaultAction, target: ProcessReference, record: String?)
    case owner(thread: String, caller: String, into: String, attempt: Int?, of: OwnerRole, timeout: Duration)
    case linkDaemon(name: String, caller: String, ttl: Duration)
    case bus(BusStep)
    case releaseGate(Template)
    case record(name: String)
    case wait(Duration)
    case parallel([Step])
    /// `repeat: N` with `steps:`: the steps, in order, N times; `index: i` names the iteration
    /// (`${i}`, from 1 to N) inside them.
    case loop(times: Int, index: String?, steps: [Step])
    /// `within: DURATION` with `steps:`: the steps, in order, must all end within the duration;
    /// when it passes, the one still running is cancelled and the block fails.
    case within(Duration, steps: [Step])

    public var label: String {
        switch self {
        case .bootstrap(let name, let pod): "bootstrap \(name) on \(pod)"
        case .agent(let name, _, _, _): "agent \(name)"
        case .thread(let name, _, _, _, _): "thread \(name)"
        case .send(let send): "send \"\(send.text)\" to \(send.thread) on \(send.pod)"
        case .request(let request): "request \(request.method) \(request.path)"
        case .attach(let name, let thread, _, let pod, _): "attach \(name) to \(thread) on \(pod)"
        case .detach(let name): "detach \(name)"
        case .check(let check): "check \(check.subject)"
        case .eventually(let check, let timeout, _): "eventually \(check.subject) (within \(timeout.podsimText))"
        case .stable(let check, let window, _): "stable \(check.subject) (for \(window.podsimText))"
        case .fault(let action, let target, _): "\(action.rawValue) \(target)"
        case .owner(let thread, _, let into, _, let role, _): "owner of \(thread)\(role == .gate ? " (gate)" : "") into \(into)"
        case .linkDaemon(let name, _, _): "link-daemon \(name)"
        case .bus(let bus): "bus \(bus.action.rawValue)\(bus.pod.map { " on \($0)" } ?? "")"
        case .releaseGate(let gate): "release gate \(gate)"
        case .record(let name): "record \(name)"
        case .wait(let duration): "wait \(duration.podsimText)"
        case .parallel(let steps): "parallel (\(steps.count) steps)"
        case .loop(let times, let index, _): "repeat \(times) times\(index.map { " (${\($0)})" } ?? "")"
        case .within(let limit, let steps): "within \(limit.podsimText) (\(steps.count) steps)"
        }
    }
}

/// Which pod an `owner` step waits for in the hosted profile (`of:`): the one executing the
/// turn's child (the default) or the one running its gate. Seed has only the run's owner.
public enum OwnerRole: String, Sendable, CaseIterable {
    case executor, gate
}

/// `send:` — the POST /messages every scenario makes, with the real body shape.
public struct SendStep: Sendable {
    public var text: Template
    public var thread: String
    public var caller: String
    public var pod: ProcessReference
    public var kind: Template?
    public var messageId: Template?
    public var expect: ResponseExpectation
}

/// `request:` — any HTTP call to a pod (or the mock provider).
public struct RequestStep: Sendable {
    public enum Auth: String, Sendable { case bearer, cookie, none }

    public var method: String
    public var path: Template
    public var pod: ProcessReference
    public var caller: String?
    public var auth: Auth
    public var headers: [(String, Template)]
    public var json: TemplateValue?
    public var body: Template?
    public var expect: ResponseExpectation
    public var captures: [ResponseCapture]
}

/// One entry of a request's `capture:`: the variable and where in the response its value is.
public struct ResponseCapture: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        /// A value of the JSON body at a dotted path (`user.id`, `$.items.0.id`).
        case body(path: String)
        /// A response header (`header.set-cookie`), its name lowercased; of `set-cookie`, the
        /// `name=value` pair a browser sends back, without its attributes.
        case header(String)
    }

    public var name: String
    public var source: Source
    /// Where the capture's source was written.
    public var location: SourceLocation

    public init(name: String, source: Source, location: SourceLocation) {
        self.name = name
        self.source = source
        self.location = location
    }
}

/// What a response must look like.
public struct ResponseExpectation: Sendable {
    public var status: StatusExpectation?
    public var json: TemplateValue?
    public var paths: [(path: String, value: TemplateValue)] = []
    public var headers: [(String, Template)] = []
    public var bodyContains: Template?
    /// `bodyNotContains`: text the body must not hold.
    public var bodyNotContains: Template?
    /// Where the expectation (or, when implicit, its step) was written.
    public var location: SourceLocation
}

/// How many times a text must appear in a stream: exactly `2`, or `{atLeast: 1}`,
/// `{atMost: 3}`, or both.
public struct Occurrences: Sendable, Equatable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    public var range: ClosedRange<Int>

    public init(_ range: ClosedRange<Int>) { self.range = range }
    public init(integerLiteral value: Int) { range = value...value }

    public func matches(_ count: Int) -> Bool { range.contains(count) }

    public var description: String {
        func times(_ n: Int) -> String { "\(n) time\(n == 1 ? "" : "s")" }
        if range.lowerBound == range.upperBound { return "exactly \(times(range.lowerBound))" }
        if range.upperBound == ScenarioParser.countLimit { return "at least \(times(range.lowerBound))" }
        if range.lowerBound == 0 { return "at most \(times(range.upperBound))" }
        return "between \(range.lowerBound) and \(times(range.upperBound))"
    }
}

/// `expect.status`: one status (`202`), any of a set (`[202, 409]`) or a range
/// (`{atLeast: 400, atMost: 499}`).
public enum StatusExpectation: Sendable, Equatable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    case exactly(Int)
    case anyOf([Int])
    case range(ClosedRange<Int>)

    public init(integerLiteral value: Int) { self = .exactly(value) }

    public func matches(_ status: Int) -> Bool {
        switch self {
        case .exactly(let wanted): status == wanted
        case .anyOf(let wanted): wanted.contains(status)
        case .range(let range): range.contains(status)
        }
    }

    /// Whether some success (2xx) status matches: only then can an attach keep a watcher.
    public var admitsSuccess: Bool {
        switch self {
        case .exactly(let wanted): (200...299).contains(wanted)
        case .anyOf(let wanted): wanted.contains { (200...299).contains($0) }
        case .range(let range): range.overlaps(200...299)
        }
    }

    public var description: String {
        switch self {
        case .exactly(let wanted): "status \(wanted)"
        case .anyOf(let wanted): "status " + wanted.map(String.init).joined(separator: " or ")
        case .range(let range): "a status from \(range.lowerBound) to \(range.upperBound)"
        }
    }
}

/// `bus:` — a fault on the hosted profile's stream bus, or its heal or restart.
public struct BusStep: Sendable {
    public enum Action: String, Sendable, CaseIterable {
        case refusePublish = "refuse-publish"
        case failConsumerOpen = "fail-consumer-open"
        case degrade
        case failChildStart = "fail-child-start"
        case heal, restart

        /// The fault this action injects (nil for heal and restart).
        public var fault: BusFaultKind? { BusFaultKind(rawValue: rawValue) }
    }

    public var action: Action
    /// The pod (`on:`); nil means every pod.
    public var pod: ProcessReference?
    /// `for:`: how long a duration fault lasts (nil: until `bus: heal`).
    public var duration: Duration?
    /// `count:`: how many operations a counted fault fails (default 1).
    public var count: Int?
    /// `record:`: the variable that keeps the time the step took effect.
    public var record: String?
}

/// A signal a fault step sends to a process.
public enum FaultAction: String, Sendable, CaseIterable {
    case kill, stop, start, pause, resume, restart
}

/// Something a `check`, `eventually` or `stable` step looks at, and what it must find.
public struct Check: Sendable {
    public enum Subject: Sendable, CustomStringConvertible {
        case thread(name: String, caller: String, pod: ProcessReference?)
        case watcher(String)
        case providerCalls(thread: String)
        case store(sql: Template)
        case log(process: ProcessReference)
        case request(RequestStep)

        public var description: String {
            switch self {
            case .thread(let name, _, _): "thread \(name)"
            case .watcher(let name): "watcher \(name)"
            case .providerCalls(let thread): "provider calls for \(thread)"
            case .store(let sql): "store \"\(sql)\""
            case .log(let process): "log of \(process)"
            case .request(let request): "request \(request.method) \(request.path)"
            }
        }
    }

    public var subject: Subject
    public var expectations: [Expectation]
    public var captures: [(name: String, field: String)]
    public var location: SourceLocation
}

/// One expected property of a check's subject.
public struct Expectation: Sendable {
    public enum Kind: Sendable {
        /// A named field (thread field, `equals` for counts and store values) compared to a value.
        case field(String, Comparison)
        /// Stream: the text appears at least once.
        case contains(Template)
        /// Stream: the text never appears.
        case notContains(Template)
        /// Stream: the text appears exactly this many times (over all frames).
        case count(Template, Occurrences)
        /// Stream: the texts first appear in this order.
        case order([Template])
        /// Stream: no frame is received twice.
        case noDuplicates
        /// Stream: some chunk carries a `stamp` later than this wall-clock time (ms).
        case stampedAfter(Template)
        /// Stream: a chunk of this type was received.
        case chunkType(Template)
        /// Stream: at least this many frames were received.
        case framesAtLeast(Int)
        /// Stream: the `data-run-status` stages first appear in this order (others may come between).
        case stages([String])
    }

    public var kind: Kind
    public var location: SourceLocation
}

/// How a field is compared.
public enum Comparison: Sendable {
    case equals(TemplateValue)
    case not(TemplateValue)
    case atLeast(Double)
    case atMost(Double)
    case greaterThan(Double)
    /// A text field holding this text: `error: {contains: provider}`.
    case contains(Template)
}

extension Duration {
    /// `1.5s`, `200ms`: how durations are written in scenario files and reports.
    public var podsimText: String {
        let millis = Int64(self / .milliseconds(1))
        if millis % 1000 == 0 { return "\(millis / 1000)s" }
        return millis >= 1000 ? "\(Double(millis) / 1000)s" : "\(millis)ms"
    }
}
