import Foundation

/// The text a person reads: a line per scenario as it starts and ends, a failure report that
/// says what to look at without reading code, and the summary line.
public enum ConsoleReport {
    public static func started(_ job: ScenarioSuite.Job, position: String) -> String {
        let name = job.scenario.name + (job.repetition.map { " #\($0)" } ?? "")
        return "\(position) ▶ \(title(name, job.bugs.sorted().map(\.rawValue), job.fixes.sorted().map(\.rawValue)))"
    }

    public static func finished(_ result: ScenarioResult, position: String, paint: ConsolePaint = .plain) -> String {
        let name = title(result.name + (result.repetition.map { " #\($0)" } ?? ""), result.bugs, result.fixes ?? [])
        if let reason = result.skipped { return "\(position) \(paint.skipped("- \(name) skipped")): \(reason)" }
        let seconds = "(\(String(format: "%.1f", result.seconds))s)"
        return "\(position) " + (result.passed ? paint.passed("✔ \(name)") : paint.failed("✘ \(name)")) + " \(seconds)"
    }

    /// `--repeat`: per scenario, its runs, passes, failures and failure rate.
    public static func repetitions(_ results: [ScenarioResult]) -> String {
        var order: [String] = []
        var byName: [String: [ScenarioResult]] = [:]
        for result in results {
            if byName[result.name] == nil { order.append(result.name) }
            byName[result.name, default: []].append(result)
        }
        let width = max(8, order.map(\.count).max() ?? 0)
        var lines = ["SCENARIO".padding(toLength: width + 2, withPad: " ", startingAt: 0) + "RUNS  PASSED  FAILED  FAILURE RATE"]
        for name in order {
            let runs = byName[name]!.filter { $0.skipped == nil }
            let failed = runs.filter { !$0.passed }.count
            let rate = runs.isEmpty ? "skipped" : String(format: "%.1f%%", 100 * Double(failed) / Double(runs.count))
            lines.append(
                name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + String(runs.count).padding(toLength: 6, withPad: " ", startingAt: 0)
                    + String(runs.count - failed).padding(toLength: 8, withPad: " ", startingAt: 0)
                    + String(failed).padding(toLength: 8, withPad: " ", startingAt: 0) + rate)
        }
        return lines.joined(separator: "\n")
    }

    private static func title(_ name: String, _ bugs: [String], _ fixes: [String]) -> String {
        name + (bugs.isEmpty ? "" : " [bug: \(bugs.joined(separator: ", "))]") + (fixes.isEmpty ? "" : " [fix: \(fixes.joined(separator: ", "))]")
    }

    /// What went wrong and where to look: the step or checker, expected vs actual, the file and
    /// line, every checker that failed, the kept state directory, the history and timeline, and
    /// the tail of every process's log.
    public static func failure(_ result: ScenarioResult, paint: ConsolePaint = .plain) -> String {
        guard let failure = result.failure else { return "" }
        var lines = [
            paint.failed(paint.bold("FAILED \(result.name)")) + (result.bugs.isEmpty ? "" : " with bug switches \(result.bugs.joined(separator: ", "))")
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

    public static func summary(_ results: [ScenarioResult], seconds: Double, paint: ConsolePaint = .plain) -> String {
        let failed = results.filter { !$0.passed }.count
        let skipped = results.filter { $0.skipped != nil }.count
        let passedText = "\(results.count - failed - skipped) passed"
        let failedText = "\(failed) failed"
        return (failed == 0 ? paint.passed(passedText) : passedText) + ", " + (failed > 0 ? paint.failed(failedText) : failedText)
            + (skipped > 0 ? ", " + paint.skipped("\(skipped) skipped") : "") + " (\(String(format: "%.1f", seconds))s)"
    }
}
