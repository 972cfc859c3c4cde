/// A multi-pod bug the real server still has, modelled as it behaves today, with a candidate fix
/// the simulator can switch on (`--fix ID`, a scenario's `cluster.fixes`).
///
/// The direction is the opposite of `BugSwitch`: off is the real server (the bug is there), on
/// is a proposed fix. A scenario that `reproduces` an open bug asserts what the real server does
/// today; `podsim prove` shows it passes on the default and fails with the fix (the symptom gone).
public enum OpenBug: String, CaseIterable, Sendable, Codable, Comparable, ProfileBoundSwitch {
    public static let noun = "open bug"
    public static let idNoun = "open bug id"

    case dedupAfterPurge = "dedup-after-purge"
    case zombieChildRecovery = "zombie-child-recovery"

    /// What the real server does today (the symptom).
    public var summary: String {
        switch self {
        case .dedupAfterPurge:
            "a run recovered within the duplicate window re-publishes <thread>:<fence>:1..K after the purge; the bus drops them, so a late watcher misses chunk-1"
        case .zombieChildRecovery:
            "a superseded turn's child recovered late runs anyway: RUN_STARTED, a purge of the next turn's log, its mirror and a model call"
        }
    }

    /// The candidate fix the switch turns on.
    public var candidateFix: String {
        switch self {
        case .dedupAfterPurge:
            "message ids carry the recovery attempt (<thread>:<fence>:r<attempt>:<seq>), the purge kept: a late watcher sees chunk-1 once"
        case .zombieChildRecovery:
            "the child checks its fence before RUN_STARTED and the purge, and ends silently when a later turn superseded it"
        }
    }

    /// The server profile whose code the fix changes.
    public var profile: ServerProfile {
        switch self {
        case .dedupAfterPurge, .zombieChildRecovery: .hosted
        }
    }

    /// Where the bug is described: the catalogue entry or the audit item.
    public var reference: String {
        switch self {
        case .dedupAfterPurge: "hosted-era.md §8 #23"
        case .zombieChildRecovery: "hosted-era-audit.md §2 C"
        }
    }

    public static func < (lhs: OpenBug, rhs: OpenBug) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
