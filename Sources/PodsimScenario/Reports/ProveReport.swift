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

    /// Who caught a caught bug (or why a clean run failed): the scenario's own assertion (where)
    /// and the checkers that failed.
    var detail: String {
        guard let failure = result.failure else { return "" }
        var parts: [String] = []
        if failure.checker == nil { parts.append("assertion \(failure.location): \(failure.step)") }
        let checkers = result.failingCheckers
        if !checkers.isEmpty { parts.append("checkers: \(checkers.joined(separator: ", "))") }
        return parts.joined(separator: "; ")
    }

    /// `podsim prove --checkers-only`: for each bug switch, the checkers that caught it in the
    /// runs of the scenarios guarding it (the scenarios' own assertions passed over).
    public static func checkerTable(_ verdicts: [ProveVerdict]) -> String {
        let bugs = BugSwitch.allCases.filter { bug in verdicts.contains { $0.bug == bug } }
        let rows = bugs.map { bug -> [String] in
            let runs = verdicts.filter { $0.bug == bug }
            var caught: [String] = []
            for run in runs { for checker in run.result.failingCheckers where !caught.contains(checker) { caught.append(checker) } }
            return [bug.profile.rawValue, bug.rawValue, runs.map(\.result.name).joined(separator: ", "), caught.isEmpty ? "none" : caught.joined(separator: ", ")]
        }
        return columns(["PROFILE", "BUG", "SCENARIOS", "CAUGHT BY CHECKERS"], rows)
    }

    /// The scenario × switch table, both profiles in one.
    public static func table(_ verdicts: [ProveVerdict]) -> String {
        let rows = verdicts.map { [$0.profile.rawValue, $0.result.name, $0.switchLabel, $0.outcome, $0.detail] }
        return columns(["PROFILE", "SCENARIO", "SWITCH", "RESULT", "WHERE"], rows)
    }

    /// Rows under a header, each column padded to its widest cell; the last column runs free.
    private static func columns(_ header: [String], _ rows: [[String]]) -> String {
        let last = header.count - 1
        let widths = (0..<last).map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            (0..<last).map { cells[$0].padding(toLength: widths[$0] + 2, withPad: " ", startingAt: 0) }.joined() + cells[last]
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
