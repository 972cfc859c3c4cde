#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The measurements `podsim bench` can run, in the order it runs them.
public enum BenchSection: String, CaseIterable, Sendable {
    case boot, delivery, throughput, fanout, memory, scenario
}

/// Runs the chosen sections one after another (never side by side: each owns the machine while
/// it measures) and collects their figures. A section that fails is recorded and the others
/// still run.
public enum Bench {
    public struct Options: Sendable {
        public var plan: BenchPlan
        public var sections: [BenchSection]
        /// The podsim binary every cluster re-executes, and the profile its pods run.
        public var target: BenchTarget
        /// The scenario file section 6 runs (with the target's profile unless it names one).
        public var scenarioFile: String

        public init(plan: BenchPlan, sections: [BenchSection], target: BenchTarget, scenarioFile: String) {
            self.plan = plan
            self.sections = sections
            self.target = target
            self.scenarioFile = scenarioFile
        }
    }

    public static func run(_ options: Options, progress: (String) -> Void) async -> BenchReport {
        raiseOpenFileLimit()
        let started = ContinuousClock.now
        var report = BenchReport(
            plan: options.plan.name, profile: options.target.profile.rawValue, machine: BenchReport.currentMachine,
            startedAt: Date().formatted(.iso8601), seconds: 0,
            errors: [:], targets: [])
        let plan = options.plan
        let target = options.target
        for section in BenchSection.allCases where options.sections.contains(section) {
            progress("— \(section.rawValue)")
            do {
                switch section {
                case .boot: report.boot = try await BootBench.measure(plan: plan, target: target, progress: progress)
                case .delivery: report.delivery = try await DeliveryBench.measure(plan: plan, target: target, progress: progress)
                case .throughput:
                    report.throughput = try await ThroughputBench.measure(plan: plan, target: target, progress: progress)
                case .fanout: report.fanout = try await FanoutBench.measure(plan: plan, target: target, progress: progress)
                case .memory: report.memory = try await MemoryBench.measure(plan: plan, target: target, progress: progress)
                case .scenario:
                    report.scenario = try await ScenarioBench.measure(file: options.scenarioFile, target: target, progress: progress)
                }
            } catch {
                report.errors[section.rawValue] = "\(error)"
                progress("\(section.rawValue) failed: \(error)")
            }
        }
        report.seconds = millis(since: started) / 1000
        report.targets = TargetCheck.judge(report)
        return report
    }

    /// A thousand watchers need a thousand sockets in this process and a few hundred in each pod
    /// (pods inherit the limit): lift the soft limit to the hard one.
    private static func raiseOpenFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
