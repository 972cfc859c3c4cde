import Foundation
import PodsimCluster
import PodsimModel
import PodsimServer

/// How scenarios are run: which binary the clusters re-execute, bug switches added on top of
/// each scenario's own, and whether state directories are kept.
public struct RunOptions: Sendable {
    public var executable: String
    /// Bug switches added on top of each scenario's own (only to scenarios of their profile).
    public var extraBugs: Set<BugSwitch>
    /// Candidate fixes added on top of each scenario's `cluster.fixes`.
    public var extraFixes: Set<OpenBug>
    /// Keep every state directory, not only those of failed scenarios.
    public var keep: Bool
    /// How many log lines of each process a failure report shows.
    public var logLines: Int

    public init(executable: String = ClusterSpec.currentExecutable, extraBugs: Set<BugSwitch> = [], extraFixes: Set<OpenBug> = [], keep: Bool = false,
        logLines: Int = 12
    ) {
        self.executable = executable
        self.extraBugs = extraBugs
        self.extraFixes = extraFixes
        self.keep = keep
        self.logLines = logLines
    }
}

/// What became of one scenario run: enough for the console, JUnit and JSON reports.
public struct ScenarioResult: Sendable, Codable {
    /// The step that failed and how.
    public struct Failure: Sendable, Codable {
        public var step: String
        public var location: String
        public var expected: String
        public var actual: String
    }

    /// The last lines of one process's log.
    public struct LogTail: Sendable, Codable {
        public var process: String
        public var path: String
        public var lines: String
    }

    public var name: String
    public var file: String
    public var bugs: [String]
    /// The candidate fixes that were on (absent in reports of runs without any).
    public var fixes: [String]?
    public var passed: Bool
    public var seconds: Double
    public var stepsRun: Int
    public var failure: Failure?
    /// Where the cluster's store and logs are, when kept.
    public var stateDirectory: String?
    public var logs: [LogTail]
}

/// Runs a scenario on a fresh cluster of its own (own state directory and ports), so scenarios
/// can run side by side.
public enum ScenarioRunner {
    public static func run(_ scenario: Scenario, options: RunOptions) async -> ScenarioResult {
        let started = ContinuousClock.now
        // Extra switches reach only the scenarios of their own profile.
        let bugs = Set(scenario.cluster.bugs).union(options.extraBugs.filter { $0.profile == scenario.profile })
        let fixes = Set(scenario.cluster.fixes).union(options.extraFixes.filter { $0.profile == scenario.profile })
        var result = ScenarioResult(
            name: scenario.name, file: scenario.file, bugs: bugs.sorted().map(\.rawValue), passed: false, seconds: 0, stepsRun: 0,
            failure: nil, stateDirectory: nil, logs: [])
        if !fixes.isEmpty { result.fixes = fixes.sorted().map(\.rawValue) }
        let spec = ClusterSpec(
            pods: scenario.cluster.pods, environment: scenario.cluster.environment, podEnvironment: scenario.cluster.podEnvironment,
            bugs: bugs, fixes: fixes, timings: scenario.cluster.timings, profile: scenario.profile, hosted: scenario.cluster.hosted,
            executable: options.executable)
        let cluster: Cluster
        do {
            cluster = try await Cluster.boot(spec)
        } catch {
            result.failure = .init(
                step: "boot the cluster", location: "\(scenario.file):1:1", expected: "\(scenario.cluster.pods) live pods",
                actual: "\(error)")
            result.seconds = (ContinuousClock.now - started).seconds
            return result
        }
        let run = ScenarioRun(cluster: cluster)
        let failure = await execute(scenario, on: run)
        await run.closeWatchers()
        result.stepsRun = await run.stepsStarted
        if let failure {
            result.failure = failure
            result.logs = await cluster.processList().map { info in
                ScenarioResult.LogTail(process: info.name, path: info.log, lines: logTail(info.log, lines: options.logLines))
            }
        }
        await cluster.shutdown()
        result.passed = failure == nil
        if options.keep || !result.passed {
            result.stateDirectory = cluster.stateDirectory
        } else {
            try? FileManager.default.removeItem(atPath: cluster.stateDirectory)
        }
        result.seconds = (ContinuousClock.now - started).seconds
        return result
    }

    /// Runs the steps in order under the scenario's timeout; returns the failure, if any.
    private static func execute(_ scenario: Scenario, on run: ScenarioRun) async -> ScenarioResult.Failure? {
        enum Ending: Sendable {
            case finished
            case failed(StepFailure, Step?)
            case timedOut
        }
        let ending = await withTaskGroup(of: Ending.self) { group in
            group.addTask {
                do {
                    for step in scenario.steps { try await run.execute(step) }
                    return .finished
                } catch let failure as StepFailure {
                    return .failed(failure, await run.currentStep)
                } catch {
                    return .failed(StepFailure(scenario.steps[0].location, expected: "the scenario to run", actual: "\(error)"), await run.currentStep)
                }
            }
            group.addTask {
                try? await Task.sleep(for: scenario.timeout)
                return .timedOut
            }
            let first = await group.next() ?? .timedOut
            group.cancelAll()
            return first
        }
        switch ending {
        case .finished:
            return nil
        case .failed(let failure, let step):
            return .init(step: step?.label ?? "?", location: failure.location.description, expected: failure.expected, actual: failure.actual)
        case .timedOut:
            let step = await run.currentStep
            return .init(
                step: step?.label ?? "?", location: (step?.location ?? SourceLocation(file: scenario.file, line: 1, column: 1)).description,
                expected: "the scenario to finish within its timeout of \(scenario.timeout.podsimText)",
                actual: "still running this step when the time ran out")
        }
    }
}

extension Duration {
    var seconds: Double { Double(self / .milliseconds(1)) / 1000 }
}
