import PodsimModel

/// One cell of `podsim prove`: a scenario run clean (it must pass) or with one bug it guards
/// switched on (it must fail, i.e. catch the bug).
public struct ProveVerdict: Sendable {
    public var bug: BugSwitch?
    public var result: ScenarioResult

    public init(bug: BugSwitch?, result: ScenarioResult) {
        self.bug = bug
        self.result = result
    }

    /// Whether the run went as it must.
    public var holds: Bool { bug == nil ? result.passed : !result.passed }

    var outcome: String {
        switch (bug, result.passed) {
        case (nil, true): "passes"
        case (nil, false): "FAILS with no bug on"
        case (_, false): "caught"
        case (_, true): "ESCAPED"
        }
    }

    /// Where a caught bug was caught (or why a clean run failed).
    var detail: String {
        guard let failure = result.failure else { return "" }
        return "\(failure.location): \(failure.step)"
    }

    /// The scenario × bug table.
    public static func table(_ verdicts: [ProveVerdict]) -> String {
        let rows = verdicts.map { [$0.result.name, $0.bug?.rawValue ?? "(none)", $0.outcome, $0.detail] }
        let header = ["SCENARIO", "BUG", "RESULT", "WHERE"]
        let widths = (0..<3).map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            (0..<3).map { cells[$0].padding(toLength: widths[$0] + 2, withPad: " ", startingAt: 0) }.joined() + cells[3]
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}
