import Foundation

/// The text a person reads: a line per scenario as it starts and ends, a failure report that
/// says what to look at without reading code, and the summary line.
public enum ConsoleReport {
    public static func started(_ result: ScenarioSuite.Job, position: String) -> String {
        "\(position) ▶ \(title(result.scenario.name, result.bugs.sorted().map(\.rawValue), result.fixes.sorted().map(\.rawValue)))"
    }

    public static func finished(_ result: ScenarioResult, position: String) -> String {
        let mark = result.passed ? "✔" : "✘"
        return "\(position) \(mark) \(title(result.name, result.bugs, result.fixes ?? [])) (\(String(format: "%.1f", result.seconds))s)"
    }

    private static func title(_ name: String, _ bugs: [String], _ fixes: [String]) -> String {
        name + (bugs.isEmpty ? "" : " [bug: \(bugs.joined(separator: ", "))]") + (fixes.isEmpty ? "" : " [fix: \(fixes.joined(separator: ", "))]")
    }

    /// What went wrong and where to look: the step or checker, expected vs actual, the file and
    /// line, every checker that failed, the kept state directory, the history and timeline, and
    /// the tail of every process's log.
    public static func failure(_ result: ScenarioResult) -> String {
        guard let failure = result.failure else { return "" }
        var lines = [
            "FAILED \(result.name)" + (result.bugs.isEmpty ? "" : " with bug switches \(result.bugs.joined(separator: ", "))")
                + (result.fixes.map { " with candidate fixes \($0.joined(separator: ", "))" } ?? ""),
            "  at:       \(failure.location)",
            "  step:     \(failure.step)",
            "  expected: \(failure.expected)",
            "  actual:   \(indented(failure.actual))",
        ]
        for check in result.checks ?? [] where check.fails && check.checker != failure.checker {
            lines.append("  checker \(check.checker) failed: \(check.property)")
            lines += check.violations.prefix(5).map { "    - \(indented($0, by: 6))" }
        }
        for check in result.checks ?? [] where check.skipped != nil && !check.violations.isEmpty {
            lines.append("  checker \(check.checker) skipped (\(check.skipped!)): \(check.violations.count) finding(s) not judged")
        }
        if let directory = result.stateDirectory {
            lines.append("  state:    \(directory) (store.sqlite, cluster logs in logs/)")
        }
        if let history = result.history { lines.append("  history:  \(history)") }
        if let timeline = result.timeline { lines.append("  timeline: \(timeline)") }
        for log in result.logs {
            lines.append("  --- \(log.process): last lines of \(log.path) ---")
            lines += log.lines.split(separator: "\n", omittingEmptySubsequences: false).map { "  | \($0)" }
        }
        return lines.joined(separator: "\n")
    }

    private static func indented(_ text: String, by width: Int = 12) -> String {
        text.replacingOccurrences(of: "\n", with: "\n" + String(repeating: " ", count: width))
    }

    public static func summary(_ results: [ScenarioResult], seconds: Double) -> String {
        let failed = results.filter { !$0.passed }.count
        return "\(results.count - failed) passed, \(failed) failed (\(String(format: "%.1f", seconds))s)"
    }
}
