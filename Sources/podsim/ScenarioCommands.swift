import ArgumentParser
import Foundation
import PodsimModel
import PodsimPod
import PodsimScenario
import PodsimServer

/// Exit codes shared by the scenario commands: 0 all good, 1 a scenario failed (or a bug
/// escaped), 2 the input is invalid (nothing ran).
enum ScenarioExit {
    static let failed = ExitCode(1)
    static let invalid = ExitCode(2)
}

/// Loads scenario files (those naming no profile run `profile`), printing every problem
/// (file:line:column) and exiting 2 if any.
func loadSuite(_ paths: [String], profile: ServerProfile = .default) throws -> ScenarioSuite {
    do {
        return try ScenarioSuite.load(paths.isEmpty ? ["Scenarios"] : paths, profile: profile)
    } catch let errors as ScenarioErrors {
        FileHandle.standardError.write(Data((errors.description + "\n").utf8))
        throw ScenarioExit.invalid
    } catch let error as ScenarioError {
        FileHandle.standardError.write(Data((error.description + "\n").utf8))
        throw ScenarioExit.invalid
    }
}

/// `--profile` of the scenario commands: the profile of scenarios whose cluster block names none.
struct ProfileOption: ParsableArguments {
    @Option(help: "The profile of scenarios whose cluster block names none (seed or hosted).") var profile: ServerProfile = .default
}

/// Options every command that runs scenarios shares.
struct ScenarioRunOptions: ParsableArguments {
    @Argument(help: "Scenario files or directories (default: Scenarios/).") var paths: [String] = []
    @Option(help: "How many scenarios run at once, each on its own cluster (default: the number of cores; 1 runs them one by one).")
    var jobs: Int = ScenarioRunOptions.defaultJobs
    @Option(help: "Only scenarios whose name or file contains this text.") var filter: String?
    @OptionGroup var profile: ProfileOption
    @Option(help: "Write each scenario's HTML timeline (one self-contained file each) into this directory.") var html: String?
    @Flag(name: .customLong("no-history"), help: "Record no history and run no checkers (to measure what recording costs).")
    var noHistory = false
    @Option(help: ArgumentHelp(
        "Run only this machine's share of the selected scenarios: every Nth from the Ith, in path order.", valueName: "I/N"))
    var shard: String?
    @Flag(help: "Print the selected scenario files (after --filter and --shard), one per line, and run nothing.") var list = false

    /// One scenario per core, within the bounds of `--jobs`.
    static var defaultJobs: Int { min(max(ProcessInfo.processInfo.activeProcessorCount, 1), jobLimit) }
    static let jobLimit = 16

    /// The scenarios to run: loaded, then narrowed by `--filter` and `--shard`.
    func selection() throws -> ScenarioSuite {
        try loadSuite(paths, profile: profile.profile).filtered(filter).sharded(shard.map { try Shard(parsing: $0) })
    }

    /// With `--list`, prints the selection's files and answers true: the command then runs nothing.
    func listed(_ suite: ScenarioSuite) -> Bool {
        guard list else { return false }
        for scenario in suite.scenarios { print(scenario.file) }
        return true
    }

    func validate() throws {
        guard (1...Self.jobLimit).contains(jobs) else { throw ValidationError("--jobs must be between 1 and \(Self.jobLimit) (got \(jobs))") }
        if noHistory, html != nil { throw ValidationError("--html draws the history; it cannot go with --no-history") }
        if let shard {
            do {
                _ = try Shard(parsing: shard)
            } catch {
                throw ValidationError("--shard: \(error)")
            }
        }
    }

    /// The run options these flags ask for.
    func runOptions(extraBugs: Set<BugSwitch> = [], extraFixes: Set<OpenBug> = [], keep: Bool = false, checkersOnly: Bool = false) -> RunOptions {
        RunOptions(
            extraBugs: extraBugs, extraFixes: extraFixes, keep: keep, history: !noHistory, htmlDirectory: html,
            checkersOnly: checkersOnly)
    }

    /// Runs the jobs with a progress line as each starts and ends, and the failure report of
    /// each unexpected failure as it happens.
    func run(
        _ jobs: [ScenarioSuite.Job], options: RunOptions, failureExpected: @escaping @Sendable (ScenarioSuite.Job) -> Bool = { _ in false }
    ) async -> [ScenarioResult] {
        let total = jobs.count
        let paint = ScenarioRunOptions.paint
        return await ScenarioSuite.run(jobs, options: options, parallel: self.jobs) { index, job, result in
            let position = "[\(index + 1)/\(total)]"
            guard let result else { return logLine(ConsoleReport.started(job, position: position)) }
            logLine(ConsoleReport.finished(result, position: position, paint: paint))
            if !result.passed, !failureExpected(job) { logLine(ConsoleReport.failure(result, paint: paint)) }
        }
    }

    /// Colour on a terminal, unless `NO_COLOR` is set.
    static var paint: ConsolePaint { .forStandardOutput(environment: ProcessInfo.processInfo.environment) }
}

/// `podsim run`: every scenario on a fresh cluster of its own; exit 0 only if all pass.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run scenario files, each on a fresh isolated cluster.",
        discussion: "Exit status: 0 all passed, 1 a scenario failed, 2 a scenario file is invalid.")

    @OptionGroup var scenarios: ScenarioRunOptions
    @Option(help: "Write a JUnit XML report here.") var junit: String?
    @Option(help: "Write a JSON report here.") var json: String?
    @Flag(help: "Keep every state directory (failed scenarios always keep theirs).") var keep = false
    @Option(name: .customLong("bug"), help: "Turn a historical bug on in every scenario of its profile (repeatable).")
    var bugs: [BugSwitch] = []
    @Option(name: .customLong("fix"), help: "Turn the candidate fix of an open bug on in every scenario of its profile (repeatable).")
    var fixes: [OpenBug] = []
    @Option(help: ArgumentHelp("Run each selected scenario N times and report each one's failure rate (with --until-fail: at most N rounds).", valueName: "N"))
    var `repeat`: Int?
    @Flag(help: "Run the selected scenarios round after round until one fails; keep its state directory and say how many runs it took.")
    var untilFail = false
    @Option(help: ArgumentHelp(
        """
        Run on a cluster podsim did not boot, described by FILE (the cluster.json of `podsim up`, or the same shape by \
        hand, with optional fault commands), one scenario at a time. A scenario that needs what the target lacks is \
        skipped with the reason.
        """, valueName: "FILE"))
    var target: String?

    static let repeatLimit = 10_000

    func validate() throws {
        if let count = `repeat`, !(1...Self.repeatLimit).contains(count) {
            throw ValidationError("--repeat must be between 1 and \(Self.repeatLimit) (got \(count))")
        }
    }

    func run() async throws {
        let suite = try scenarios.selection()
        if scenarios.listed(suite) { return }
        let profiles = Set(suite.scenarios.map(\.profile))
        let foreign = bugs.filter { !profiles.contains($0.profile) }.map { "--bug \($0.rawValue) (\($0.profile.rawValue))" }
            + fixes.filter { !profiles.contains($0.profile) }.map { "--fix \($0.rawValue) (\($0.profile.rawValue))" }
        guard foreign.isEmpty else {
            logLine("no scenario of this run has the profile of \(foreign.joined(separator: ", "))")
            throw ScenarioExit.invalid
        }
        guard !suite.scenarios.isEmpty else {
            // More machines than scenarios leaves a shard empty: nothing to run is not a failure.
            if let shard = scenarios.shard { return logLine("shard \(shard) holds no scenario of this selection") }
            logLine("no scenario matches --filter \(scenarios.filter ?? "")")
            throw ScenarioExit.invalid
        }
        var options = scenarios.runOptions(extraBugs: Set(bugs), extraFixes: Set(fixes), keep: keep)
        if let target {
            do {
                options.target = try TargetDescription.load(from: target)
            } catch {
                logLine("\(error)")
                throw ScenarioExit.invalid
            }
        }
        let started = ContinuousClock.now
        var results: [ScenarioResult]
        if untilFail {
            results = await runUntilFailure(suite, options: options)
        } else if let count = `repeat` {
            results = await scenarios.run(
                suite.scenarios.flatMap { scenario in (1...count).map { ScenarioSuite.Job(scenario: scenario, repetition: $0) } }, options: options)
            logLine(ConsoleReport.repetitions(results))
        } else {
            results = await scenarios.run(suite.scenarios.map { ScenarioSuite.Job(scenario: $0) }, options: options)
        }
        let seconds = Double((ContinuousClock.now - started) / .milliseconds(1)) / 1000
        if let junit { try Data(JUnitReport.xml(results, seconds: seconds).utf8).write(to: URL(fileURLWithPath: junit)) }
        if let json { try JSONReport(results, seconds: seconds).encoded().write(to: URL(fileURLWithPath: json)) }
        logLine(ConsoleReport.summary(results, seconds: seconds, paint: ScenarioRunOptions.paint))
        if results.contains(where: { !$0.passed }) { throw ScenarioExit.failed }
    }

    /// `--until-fail`: every selected scenario once per round, round after round (at most
    /// `--repeat` rounds), until a round has a failure.
    private func runUntilFailure(_ suite: ScenarioSuite, options: RunOptions) async -> [ScenarioResult] {
        var results: [ScenarioResult] = []
        var round = 1
        while round <= (`repeat` ?? Int.max) {
            let jobs = suite.scenarios.map { ScenarioSuite.Job(scenario: $0, repetition: round) }
            let batch = await scenarios.run(jobs, options: options)
            results += batch
            let failed = batch.filter { !$0.passed }
            if batch.allSatisfy({ $0.skipped != nil }) {
                logLine("every selected scenario was skipped on the target: nothing to repeat")
                return results
            }
            if !failed.isEmpty {
                for result in failed {
                    logLine("\(result.name) failed on run \(round) (after \(round - 1) passing run\(round == 2 ? "" : "s")); state kept in \(result.stateDirectory ?? "?")")
                }
                return results
            }
            round += 1
        }
        logLine("no failure in \(round - 1) run\(round == 2 ? "" : "s") of each scenario")
        return results
    }
}

/// `podsim validate`: parse and check scenario files without running them.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check scenario files without running them.",
        discussion: "Errors name file:line:column and what was expected there. Exit status 2 if any file is invalid.")

    @Argument(help: "Scenario files or directories (default: Scenarios/).") var paths: [String] = []
    @OptionGroup var profile: ProfileOption

    func run() throws {
        let suite = try loadSuite(paths, profile: profile.profile)
        for scenario in suite.scenarios {
            let guards = scenario.guards.isEmpty ? "" : ", guards \(scenario.guards.map(\.rawValue).joined(separator: ", "))"
            let profile = scenario.profile == .default ? "" : ", \(scenario.profile.rawValue) profile"
            logLine("ok \(scenario.file): \(scenario.name) (\(scenario.steps.count) steps\(guards)\(profile))")
        }
    }
}

/// `podsim prove`: every scenario passes with no bug on and fails with each bug it guards.
struct Prove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show that each scenario catches the bugs it claims to guard.",
        discussion: """
            Runs each scenario with no bug switch (it must pass), then once per bug in its `guards` \
            with that switch on (it must fail), and once per open bug in its `reproduces` with that \
            bug's candidate fix on (it must fail: the real server's symptom is gone). Both profiles \
            share one table; the open bugs get a section of their own. Exit status 1 if a scenario \
            fails clean, a bug escapes, a fix leaves its symptom, or a switch of `podsim bugs` is \
            guarded (or reproduced) by no scenario of its profile (when the scenarios include that \
            profile).
            """)

    @OptionGroup var scenarios: ScenarioRunOptions
    @Flag(help: """
        Pass over the scenarios' own assertions and let only the checkers judge; prints which \
        checkers catch each bug switch. Exit status 1 if a checker fails a clean run.
        """)
    var checkersOnly = false

    func validate() throws {
        if checkersOnly && scenarios.noHistory { throw ValidationError("--checkers-only judges the history; it cannot go with --no-history") }
    }

    func run() async throws {
        let suite = try scenarios.selection()
        if scenarios.listed(suite) { return }
        var jobs: [ScenarioSuite.Job] = []
        for scenario in suite.scenarios {
            jobs.append(.init(scenario: scenario))
            jobs += scenario.guards.map { .init(scenario: scenario, bugs: [$0]) }
            jobs += scenario.reproduces.map { .init(scenario: scenario, fixes: [$0]) }
        }
        let results = await scenarios.run(jobs, options: scenarios.runOptions(checkersOnly: checkersOnly)) { !$0.bugs.isEmpty || !$0.fixes.isEmpty }
        let verdicts = zip(jobs, results).map { ProveVerdict(bug: $0.bugs.first, fix: $0.fixes.first, profile: $0.scenario.profile, result: $1) }
        logLine(ProveVerdict.table(verdicts))
        if checkersOnly {
            logLine(ProveVerdict.checkerTable(verdicts))
            let falseAlarms = verdicts.filter { $0.bug == nil && $0.fix == nil && !$0.result.passed }
            logLine("\(falseAlarms.count) clean run(s) failed by a checker")
            if !falseAlarms.isEmpty { throw ScenarioExit.failed }
            return
        }
        // A shard holds only part of the suite: whether every bug is guarded is the whole suite's question.
        let profiles = scenarios.shard == nil ? Set(suite.scenarios.map(\.profile)) : []
        if let shard = scenarios.shard { logLine("shard \(shard): whether every bug is guarded is judged on the whole suite only") }
        let unguarded = BugSwitch.allCases.filter { bug in
            profiles.contains(bug.profile) && !suite.scenarios.contains { $0.guards.contains(bug) }
        }
        let unreproduced = OpenBug.allCases.filter { bug in
            profiles.contains(bug.profile) && !suite.scenarios.contains { $0.reproduces.contains(bug) }
        }
        if !unguarded.isEmpty { logLine("guarded by no scenario: " + unguarded.map(\.rawValue).joined(separator: ", ")) }
        let openBugs = ProveVerdict.openBugs(verdicts, profiles: profiles)
        if !openBugs.isEmpty { logLine((["open bugs (the real server still has them):"] + openBugs.map { "  " + $0 }).joined(separator: "\n")) }
        let bad = verdicts.filter { !$0.holds }.count
        logLine("\(verdicts.count - bad) of \(verdicts.count) runs as expected; \(unguarded.count) bug(s) unguarded; "
            + "\(unreproduced.count) open bug(s) reproduced by no scenario")
        if bad > 0 || !unguarded.isEmpty || !unreproduced.isEmpty { throw ScenarioExit.failed }
    }
}

/// `podsim schema`: the JSON Schema of scenario files, for editors (yaml-language-server).
struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the JSON Schema of scenario files (committed as Scenarios/scenario.schema.json).")

    func run() {
        print(ScenarioSchema.json(), terminator: "")
    }
}
