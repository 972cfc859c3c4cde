import PodsimScenario

/// Section 6: what running a scenario costs beyond the time its provider hint takes anyway.
/// attach-cross-pod sends `slow:5x500`, so 2.5 s is inherent; everything above it is boot,
/// HTTP, polling, shutdown, and the scenario's own deliberate waits (`stable … for`, `wait`),
/// which are reported apart so the runner's share is visible.
public struct ScenarioFigures: Codable, Sendable {
    public var file: String
    public var passed: Bool
    /// Wall time of the whole scenario: boot, steps, shutdown, s.
    public var wallSeconds: Double
    /// The provider's inherent time for the scenario's hint, s.
    public var inherentSeconds: Double
    public var overhead: Double
    /// Time the scenario spends waiting on purpose (top-level `stable` windows and `wait`s), s.
    public var deliberateWaitSeconds: Double
    /// Wall time less the deliberate waits, over the inherent time.
    public var overheadExcludingWaits: Double
}

enum ScenarioBench {
    static func measure(file: String, target: BenchTarget, progress: (String) -> Void) async throws -> ScenarioFigures {
        var scenario = try ScenarioParser.parse(file: file)
        scenario.cluster.profile = scenario.cluster.profile ?? target.profile
        let inherentSeconds = try providerSeconds(scenario)
        let result = await ScenarioRunner.run(scenario, options: RunOptions(executable: target.executable, history: target.history))
        if let directory = result.stateDirectory { BenchCluster.remove(directory) }
        guard result.passed else {
            let failure = result.failure.map { "\($0.location) \($0.step): expected \($0.expected), got \($0.actual)" } ?? "unknown failure"
            throw BenchError("scenario \(scenario.name) failed: \(failure)")
        }
        let waits = scenario.steps.reduce(0.0) { total, step in
            switch step.kind {
            case .stable(_, let window, _): total + milliseconds(window) / 1000
            case .wait(let duration): total + milliseconds(duration) / 1000
            default: total
            }
        }
        progress("scenario \(scenario.name): \(format(result.seconds)) s wall, \(format(result.seconds / inherentSeconds))× the provider's time")
        return ScenarioFigures(
            file: file, passed: result.passed, wallSeconds: result.seconds, inherentSeconds: inherentSeconds,
            overhead: result.seconds / inherentSeconds, deliberateWaitSeconds: waits,
            overheadExcludingWaits: (result.seconds - waits) / inherentSeconds)
    }
}

extension ScenarioBench {
    /// The time the mock provider takes for the scenario's `slow:<N>x<ms>` turns, one after
    /// another (top-level `send` steps).
    static func providerSeconds(_ scenario: Scenario) throws -> Double {
        let total = scenario.steps.reduce(0.0) { total, step in
            guard case .send(let send) = step.kind else { return total }
            return total + slowHintSeconds(send.text.raw)
        }
        guard total > 0 else { throw BenchError("\(scenario.file) sends no slow:<N>x<ms> turn to measure against") }
        return total
    }

    private static func slowHintSeconds(_ text: String) -> Double {
        for token in text.split(whereSeparator: \.isWhitespace) where token.hasPrefix("slow:") {
            let numbers = token.dropFirst("slow:".count).split(separator: "x")
            if numbers.count == 2, let count = Double(numbers[0]), let delay = Double(numbers[1]) { return count * delay / 1000 }
        }
        return 0
    }
}
