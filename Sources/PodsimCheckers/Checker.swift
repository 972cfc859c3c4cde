import PodsimHistory

/// The checkers podsim runs on every history, by name (a scenario's `checks: {skip: …}` names them).
public enum CheckerName: String, CaseIterable, Sendable, Codable, Comparable {
    case delivery
    case crossPod = "cross-pod"
    case termination
    case singleExecution = "single-execution"
    case parts
    case fencing
    case cancel
    case no5xx = "no-5xx"
    case sessions

    public static func < (lhs: CheckerName, rhs: CheckerName) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// How long the timed properties allow, in nanoseconds.
public struct CheckerBounds: Sendable, Equatable, Codable {
    /// An accepted run reaches a terminal state, and watchers staying attached receive its
    /// terminal chunk, within this long after the later of its POST and the last fault.
    public var terminationNanos: Int64
    /// No content chunk of a cancelled run is appended later than this after the cancel answered.
    public var cancelNanos: Int64
    /// Every pod rejects a signed-out cookie within this long after the sign-out answered. One
    /// second: `session-rehoming` polls each pod for up to 5 s, so a 5 s bound would let a pod
    /// that never forgets the session (`pod-local-sessions`) pass.
    public var sessionsNanos: Int64

    public init(terminationNanos: Int64 = 15_000_000_000, cancelNanos: Int64 = 1_000_000_000, sessionsNanos: Int64 = 1_000_000_000) {
        self.terminationNanos = terminationNanos
        self.cancelNanos = cancelNanos
        self.sessionsNanos = sessionsNanos
    }
}

/// Jepsen's three-valued outcome: `unknown` when the history ends before a bound could elapse
/// or lacks what the property needs.
public enum Validity: String, Sendable, Codable, Comparable {
    case pass, unknown, fail

    public static func < (lhs: Validity, rhs: Validity) -> Bool {
        [Validity.pass, .unknown, .fail].firstIndex(of: lhs)! < [Validity.pass, .unknown, .fail].firstIndex(of: rhs)!
    }
}

/// One breach of a property: what is wrong, and the events that show it (with their index in
/// the history's events, so a timeline can highlight them).
public struct Violation: Sendable, Equatable, Codable {
    public var message: String
    public var events: [HistoryEvent]
    public var indices: [Int]

    public init(message: String, events: [HistoryEvent], indices: [Int]) {
        self.message = message
        self.events = events
        self.indices = indices
    }
}

/// What one checker concluded about one history.
public struct Verdict: Sendable, Equatable, Codable {
    public var checker: CheckerName
    /// The property, stated for the history's profile.
    public var property: String
    public var validity: Validity
    public var violations: [Violation]
    /// Why the verdict is `unknown`, when it is.
    public var note: String?

    public init(checker: CheckerName, property: String, validity: Validity, violations: [Violation] = [], note: String? = nil) {
        self.checker = checker
        self.property = property
        self.validity = validity
        self.violations = violations
        self.note = note
    }
}

/// A pure judgement of a history. Implementations hold no state and do no I/O.
public protocol Checker: Sendable {
    var name: CheckerName { get }
    /// The property this checker enforces under `profile` (`seed` or `hosted`), in one sentence.
    func property(profile: String) -> String
    func check(_ history: History, bounds: CheckerBounds) -> Verdict
}
