import PodsimCheckers
import Testing

@testable import PodsimScenario

/// The `checks:` block: which checkers a scenario turns off, and why.
@Suite struct ChecksBlockTests {
    private let steps = "steps:\n  - wait: 1ms\n"

    @Test func noBlockSkipsNothing() throws {
        let scenario = try ScenarioParser.parse(steps, file: "s.yaml")
        #expect(scenario.checks.skip.isEmpty)
    }

    @Test func skipNamesCheckersWithTheirReasons() throws {
        let text = "checks:\n  skip:\n    termination: leaves the run held on purpose\n    no-5xx: \"the bug answers 500\"\n" + steps
        let scenario = try ScenarioParser.parse(text, file: "s.yaml")
        #expect(scenario.checks.skip == [.termination: "leaves the run held on purpose", .no5xx: "the bug answers 500"])
    }

    @Test func anUnknownCheckerIsNamedWithASuggestion() {
        let error = parseError("checks:\n  skip:\n    deliveries: why\n" + steps)
        #expect(error?.hasPrefix("3:5: unknown checker 'deliveries' (did you mean 'delivery'?)") == true, "\(error ?? "no error")")
    }

    @Test func aSkipWithoutAReasonIsAnError() {
        let error = parseError("checks:\n  skip:\n    termination: \"  \"\n" + steps)
        #expect(error?.hasPrefix("3:18: give the reason for skipping termination") == true, "\(error ?? "no error")")
    }

    @Test func anUnknownKeyInTheBlockIsAnError() {
        let error = parseError("checks:\n  only: [delivery]\n" + steps)
        #expect(error?.contains("only") == true, "\(error ?? "no error")")
    }

    /// Every checker has a name a scenario can write.
    @Test func everyCheckerCanBeSkippedByName() throws {
        for checker in CheckerName.allCases {
            let scenario = try ScenarioParser.parse("checks:\n  skip:\n    \(checker.rawValue): because\n" + steps, file: "s.yaml")
            #expect(scenario.checks.skip[checker] == "because")
        }
    }
}
