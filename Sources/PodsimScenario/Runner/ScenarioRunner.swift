import Foundation
import PodsimCheckers
import PodsimCluster
import PodsimHistory
import PodsimModel
import PodsimServer
import PodsimTimeline

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
    /// Record a history (`history.jsonl`) and judge it with the checkers.
    public var history: Bool
    /// Where to write each scenario's HTML timeline, if anywhere.
    public var htmlDirectory: String?
    /// Ignore the scenarios' own assertions: a failed check is recorded and the steps go on, and
    /// only the checkers decide (`podsim prove --checkers-only`).
    public var checkersOnly: Bool
    public var bounds: CheckerBounds
    /// How long, after passing steps, the runner waits for accepted runs to settle before it
    /// judges the history (`--checkers-only` waits the whole termination bound).
    public var settle: Duration
    /// A cluster podsim did not boot to run every scenario on, one after another (`--target`);
    /// nil boots a fresh cluster for each.
    public var target: TargetDescription?

    public init(executable: String = ClusterSpec.currentExecutable, extraBugs: Set<BugSwitch> = [], extraFixes: Set<OpenBug> = [], keep: Bool = false,
        logLines: Int = 12, history: Bool = true, htmlDirectory: String? = nil, checkersOnly: Bool = false, bounds: CheckerBounds = .init(),
        settle: Duration = .seconds(2), target: TargetDescription? = nil
    ) {
        self.target = target
        self.executable = executable
        self.extraBugs = extraBugs
        self.extraFixes = extraFixes
        self.keep = keep
        self.logLines = logLines
        self.history = history
        self.htmlDirectory = htmlDirectory
        self.checkersOnly = checkersOnly
        self.bounds = bounds
        self.settle = settle
    }
}

/// One checker's verdict on a run, as the reports show it.
public struct CheckReport: Sendable, Codable {
    public var checker: String
    /// `pass`, `unknown` or `fail`.
    public var validity: String
    public var property: String
    /// The scenario's reason, when it skips this checker (its findings are then shown, unjudged).
    public var skipped: String?
    public var violations: [String]
    public var note: String?

    /// Whether this verdict fails the run.
    public var fails: Bool { validity == Validity.fail.rawValue && skipped == nil }
}

/// What became of one scenario run: enough for the console, JUnit and JSON reports.
public struct ScenarioResult: Sendable, Codable {
    /// The step that failed and how.
    public struct Failure: Sendable, Codable {
        public var step: String
        public var location: String
        public var expected: String
        public var actual: String
        /// The checker that found it; absent when a step's own assertion did.
        public var checker: String?
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
    /// The checkers' verdicts (absent when no history was recorded).
    public var checks: [CheckReport]?
    /// The recorded history, when the state directory was kept.
    public var history: String?
    /// The HTML timeline, when written.
    public var timeline: String?
    /// With `--checkers-only`, the scenario's own assertions that failed and were passed over.
    public var ignoredAssertions: [Failure]?
    /// With `--repeat` or `--until-fail`, which run of the scenario this was (1-based).
    public var repetition: Int?
    /// Why the scenario did not run on the `--target` cluster; a skipped run neither passes nor fails.
    public var skipped: String?

    /// The checkers that failed the run.
    public var failingCheckers: [String] { (checks ?? []).filter(\.fails).map(\.checker) }
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
        var spec = ClusterSpec(
            pods: scenario.cluster.pods, environment: scenario.cluster.environment, podEnvironment: scenario.cluster.podEnvironment,
            bugs: bugs, fixes: fixes, timings: scenario.cluster.timings, profile: scenario.profile, hosted: scenario.cluster.hosted,
            executable: options.executable)
        spec.history = options.history
        let cluster: any ClusterHandle
        do {
            if let target = options.target {
                let reasons = TargetFit.reasons(scenario, bugs: bugs, fixes: fixes, target: target)
                guard reasons.isEmpty else {
                    result.skipped = reasons.joined(separator: "; ")
                    result.passed = true
                    return result
                }
                cluster = try await ExternalCluster.attach(target)
            } else {
                cluster = try await Cluster.boot(spec)
            }
        } catch {
            result.failure = .init(
                step: options.target == nil ? "boot the cluster" : "attach to the target", location: "\(scenario.file):1:1",
                expected: "\(scenario.cluster.pods) live pods", actual: "\(error)")
            result.seconds = (ContinuousClock.now - started).seconds
            return result
        }
        let run = ScenarioRun(cluster: cluster, checkersOnly: options.checkersOnly)
        var failure = await execute(scenario, on: run)
        // A target's run is judged only with its store: without the journal the checkers would misread the run.
        if options.history && cluster.storeFile != nil {
            // After passing steps the accepted runs get a short while to settle; with
            // --checkers-only, also after a failed action, and the whole termination bound, so
            // that `termination` sees a run a bug wedged.
            let settle: Duration = options.checkersOnly ? .nanoseconds(options.bounds.terminationNanos) : failure == nil ? options.settle : .zero
            let judged = await judge(scenario, run: run, bugs: result.bugs, fixes: result.fixes ?? [], settle: settle, options: options)
            result.checks = judged.reports
            if failure == nil { failure = judged.failure }
            result.history = judged.historyPath
            result.timeline = judged.timelinePath
        } else {
            await run.closeWatchers()
        }
        result.stepsRun = await run.stepsStarted
        if options.checkersOnly { result.ignoredAssertions = await run.ignoredAssertions.map(Self.failure) }
        if let failure {
            result.failure = failure
            // A target's processes may log where podsim cannot read (a container): those have no path.
            result.logs = await cluster.processList().filter { !$0.log.isEmpty }.map { info in
                ScenarioResult.LogTail(process: info.name, path: info.log, lines: logTail(info.log, lines: options.logLines))
            }
        }
        await cluster.close()
        result.passed = failure == nil
        if options.keep || !result.passed {
            result.stateDirectory = cluster.stateDirectory
        } else {
            try? FileManager.default.removeItem(atPath: cluster.stateDirectory)
            result.history = nil
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

extension ScenarioRunner {
    /// What judging a run's history gave.
    struct Judged {
        var reports: [CheckReport]
        var failure: ScenarioResult.Failure?
        var historyPath: String?
        var timelinePath: String?
    }

    /// After the steps: waits up to `settle` until every accepted run has settled (a run still
    /// going when the history ends leaves `termination` unknown, not failed); closes the
    /// watchers; writes `history.jsonl` into the state directory (and the timeline, when asked);
    /// runs every checker.
    static func judge(_ scenario: Scenario, run: ScenarioRun, bugs: [String], fixes: [String], settle: Duration, options: RunOptions) async -> Judged {
        let cluster = run.cluster
        var assembly = await HistoryAssembly(scenario: scenario, cluster: cluster, bugs: bugs, fixes: fixes, clock: run.recorder.clock)
        if settle > .zero && scenario.checks.skip[.termination] == nil {
            let deadline = ContinuousClock.now + settle
            while ContinuousClock.now < deadline {
                let history = await assembly.history(run: run, provider: false)
                if Termination.unsettled(history).isEmpty { break }
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        await run.closeWatchers()
        let history = await assembly.history(run: run)
        let verdicts = Checkers.run(history, bounds: options.bounds)
        var judged = Judged(reports: verdicts.map { verdict in
            CheckReport(
                checker: verdict.checker.rawValue, validity: verdict.validity.rawValue, property: verdict.property,
                skipped: scenario.checks.skip[verdict.checker], violations: verdict.violations.map(\.message), note: verdict.note)
        })
        if let failing = verdicts.first(where: { $0.validity == .fail && scenario.checks.skip[$0.checker] == nil }) {
            let shown = failing.violations.prefix(5).map(\.message)
            let more = failing.violations.count > shown.count ? ["… and \(failing.violations.count - shown.count) more"] : []
            judged.failure = .init(
                step: "checker \(failing.checker.rawValue)", location: "\(scenario.file):1:1", expected: failing.property,
                actual: (shown + more).joined(separator: "\n"), checker: failing.checker.rawValue)
        }
        let historyPath = cluster.stateDirectory + "/history.jsonl"
        if (try? history.write(to: historyPath)) != nil { judged.historyPath = historyPath }
        if let directory = options.htmlDirectory {
            let path = directory + "/" + timelineFileName(scenario)
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            if (try? Timeline.html(history, verdicts: verdicts).write(toFile: path, atomically: true, encoding: .utf8)) != nil {
                judged.timelinePath = path
            }
        }
        return judged
    }

    /// The timeline's file name: the scenario file's path made flat, so names never collide.
    static func timelineFileName(_ scenario: Scenario) -> String {
        let stem = scenario.file.hasSuffix(".yaml") ? String(scenario.file.dropLast(5)) : scenario.file
        let flat = stem.split(separator: "/").filter { $0 != "." && $0 != ".." }.joined(separator: "-")
        return (flat.isEmpty ? scenario.name : flat) + ".html"
    }

    static func failure(_ failure: StepFailure) -> ScenarioResult.Failure {
        .init(step: "check", location: failure.location.description, expected: failure.expected, actual: failure.actual)
    }
}

extension Duration {
    var seconds: Double { Double(self / .milliseconds(1)) / 1000 }
}
