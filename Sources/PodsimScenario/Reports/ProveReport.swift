import PodsimModel

/// One cell of `podsim prove`: a scenario run clean (it must pass), with one bug it guards
/// switched on (it must fail, i.e. catch the bug), or with the candidate fix of an open bug it
/// reproduces (it must fail: the real server's symptom is gone).
public struct ProveVerdict: Sendable {
    public var bug: BugSwitch?
    public var fix: OpenBug?
    public var profile: ServerProfile
    public var result: ScenarioResult

    public init(bug: BugSwitch? = nil, fix: OpenBug? = nil, profile: ServerProfile, result: ScenarioResult) {
        self.bug = bug
        self.fix = fix
        self.profile = profile
        self.result = result
    }

    /// Whether the run went as it must.
    public var holds: Bool { bug == nil && fix == nil ? result.passed : !result.passed }

    var outcome: String {
        switch (bug, fix, result.passed) {
        case (nil, nil, true): "passes"
        case (nil, nil, false): "FAILS with no bug on"
        case (_, nil, false): "caught"
        case (_, nil, true): "ESCAPED"
        case (_, _, false): "symptom gone"
        case (_, _, true): "SYMPTOM STAYS"
        }
    }

    var switchLabel: String {
        if let bug { return bug.rawValue }
        if let fix { return "--fix \(fix.rawValue)" }
        return "(none)"
    }

    /// Where a caught bug was caught (or why a clean run failed).
    var detail: String {
        guard let failure = result.failure else { return "" }
        return "\(failure.location): \(failure.step)"
    }

    /// The scenario × switch table, both profiles in one.
    public static func table(_ verdicts: [ProveVerdict]) -> String {
        let rows = verdicts.map { [$0.profile.rawValue, $0.result.name, $0.switchLabel, $0.outcome, $0.detail] }
        let header = ["PROFILE", "SCENARIO", "SWITCH", "RESULT", "WHERE"]
        let columns = header.count - 1
        let widths = (0..<columns).map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            (0..<columns).map { cells[$0].padding(toLength: widths[$0] + 2, withPad: " ", startingAt: 0) }.joined() + cells[columns]
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }

    /// The open bugs section: for each open bug of the profiles proved, whether a scenario
    /// reproduced it on the default and whether its candidate fix removed the symptom.
    public static func openBugs(_ verdicts: [ProveVerdict], profiles: Set<ServerProfile>) -> [String] {
        OpenBug.allCases.filter { profiles.contains($0.profile) }.map { bug in
            let fixed = verdicts.filter { $0.fix == bug }
            let reproducing = Set(fixed.map(\.result.name))
            let clean = verdicts.filter { $0.bug == nil && $0.fix == nil && reproducing.contains($0.result.name) }
            guard !fixed.isEmpty else { return "\(bug.rawValue): reproduced by no scenario" }
            let reproduced = clean.allSatisfy(\.holds)
                ? "reproduced on the default" : "NOT reproduced on the default"
            let fixedBy = fixed.allSatisfy(\.holds)
                ? "fixed by --fix \(bug.rawValue)" : "NOT fixed by --fix \(bug.rawValue)"
            return "\(bug.rawValue): \(reproduced); \(fixedBy) (\(reproducing.sorted().joined(separator: ", ")))"
        }
    }
}
