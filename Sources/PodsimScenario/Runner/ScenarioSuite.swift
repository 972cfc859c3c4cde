import Foundation
import PodsimModel

/// A set of scenario files: found on disk, parsed and validated together, then run with
/// bounded parallelism.
public struct ScenarioSuite: Sendable {
    public var scenarios: [Scenario]

    /// A scenario file and the name a scenario in it has unless it names itself.
    public struct File: Sendable, Equatable {
        public var path: String
        /// The path below the directory named, without extension (`hosted/pod-death`), so files
        /// of the same name in two subdirectories stay apart; nil for a file named directly.
        public var defaultName: String?
    }

    /// The `.yaml`/`.yml` files named, or found under the directories named: recursively, in
    /// the order of their paths below the directory.
    public static func files(_ paths: [String]) throws -> [File] {
        var files: [File] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ScenarioError(SourceLocation(file: path, line: 1, column: 1), "no such file or directory")
            }
            guard isDirectory.boolValue else {
                files.append(File(path: path))
                continue
            }
            let found = (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? [])
                .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
                .sorted()
                .map { File(path: (path as NSString).appendingPathComponent($0), defaultName: ($0 as NSString).deletingPathExtension) }
            if found.isEmpty {
                throw ScenarioError(SourceLocation(file: path, line: 1, column: 1), "no scenario files (*.yaml) in this directory")
            }
            files += found
        }
        return files
    }

    /// Parses and validates every file, a scenario that names no profile running `profile`;
    /// throws every problem found across all of them.
    public static func load(_ paths: [String], profile: ServerProfile = .default) throws -> ScenarioSuite {
        var scenarios: [Scenario] = []
        var errors: [ScenarioError] = []
        for file in try files(paths) {
            let parsed = ScenarioParser.parsing(file: file.path, defaultName: file.defaultName)
            errors += parsed.errors
            guard var scenario = parsed.scenario else { continue }
            scenario.cluster.profile = scenario.cluster.profile ?? profile
            let problems = ScenarioValidator.validate(scenario)
            if problems.isEmpty { scenarios.append(scenario) } else { errors += problems }
        }
        let names = Dictionary(grouping: scenarios, by: \.name)
        for (name, same) in names where same.count > 1 {
            errors.append(ScenarioError(SourceLocation(file: same[1].file, line: 1, column: 1), "scenario name '\(name)' is also used by \(same[0].file)"))
        }
        if !errors.isEmpty { throw ScenarioErrors(errors: errors) }
        return ScenarioSuite(scenarios: scenarios)
    }

    /// Keeps the scenarios whose name (or file name) contains `text`.
    public func filtered(_ text: String?) -> ScenarioSuite {
        guard let text, !text.isEmpty else { return self }
        return ScenarioSuite(scenarios: scenarios.filter { $0.name.contains(text) || $0.file.contains(text) })
    }

    /// One unit of work: a scenario with extra bug switches turned on.
    public struct Job: Sendable {
        public var scenario: Scenario
        public var bugs: Set<BugSwitch>
        /// Candidate fixes to switch on (prove's open-bug runs).
        public var fixes: Set<OpenBug>
        /// Which run of the scenario this is, with `--repeat` or `--until-fail` (1-based).
        public var repetition: Int?

        public init(scenario: Scenario, bugs: Set<BugSwitch> = [], fixes: Set<OpenBug> = [], repetition: Int? = nil) {
            self.scenario = scenario
            self.bugs = bugs
            self.fixes = fixes
            self.repetition = repetition
        }
    }

    /// Runs jobs, at most `parallel` at a time; results come back in the jobs' order.
    /// `progress` hears of each job as it starts (nil result) and ends.
    public static func run(
        _ jobs: [Job], options: RunOptions, parallel: Int,
        progress: @escaping @Sendable (_ index: Int, _ job: Job, _ result: ScenarioResult?) async -> Void
    ) async -> [ScenarioResult] {
        await withTaskGroup(of: (Int, ScenarioResult).self) { group in
            var results = [ScenarioResult?](repeating: nil, count: jobs.count)
            var next = 0
            func startNext() {
                guard next < jobs.count else { return }
                let index = next
                next += 1
                group.addTask {
                    let job = jobs[index]
                    await progress(index, job, nil)
                    var jobOptions = options
                    jobOptions.extraBugs.formUnion(job.bugs)
                    jobOptions.extraFixes.formUnion(job.fixes)
                    var result = await ScenarioRunner.run(job.scenario, options: jobOptions)
                    result.repetition = job.repetition
                    await progress(index, job, result)
                    return (index, result)
                }
            }
            // Scenarios on a shared target would fault each other's processes: one at a time.
            for _ in 0..<(options.target == nil ? max(1, parallel) : 1) { startNext() }
            for await (index, result) in group {
                results[index] = result
                startNext()
            }
            return results.compactMap { $0 }
        }
    }
}
