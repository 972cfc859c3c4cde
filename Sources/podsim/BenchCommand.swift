import ArgumentParser
import Foundation
import PodsimBench
import PodsimCluster
import PodsimModel

/// `podsim bench`: measures boot, cross-pod delivery, queue throughput, fan-out, memory and
/// scenario overhead on real clusters, each beside its baseline; see BENCHMARKS.md.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure boot, cross-pod delivery latency, queue throughput, fan-out, memory and scenario overhead.",
        discussion: """
            Judge figures on a release build: swift build -c release && .build/release/podsim bench --json bench.json
            Progress goes to stderr, the table to stdout. --quick shrinks every section (it is what the test runs).
            """)

    @Flag(help: "Smaller counts in every section (finishes within two minutes even in a debug build).")
    var quick = false
    @Option(name: .customLong("json"), help: ArgumentHelp("Also write the figures as JSON to this file.", valueName: "file"))
    var jsonPath: String?
    @Option(name: .customLong("only"), help: ArgumentHelp("Run only this section (repeatable).", valueName: "section"))
    var only: [BenchSection] = []
    @Option(
        name: .customLong("scenario"),
        help: ArgumentHelp("The scenario the overhead section runs (default: the profile's attach-cross-pod).", valueName: "file"))
    var scenarioFile: String?
    @Option(help: "The server profile every bench cluster runs (seed or hosted).") var profile: ServerProfile = .default
    @Flag(name: .customLong("no-history"), help: "Pods journal no history and scenarios record none (to measure what recording costs).")
    var noHistory = false

    func run() async throws {
        let options = Bench.Options(
            plan: quick ? .quick : .full, sections: only.isEmpty ? BenchSection.allCases : only,
            target: BenchTarget(executable: ClusterSpec.currentExecutable, profile: profile, history: !noHistory),
            scenarioFile: scenarioFile ?? Self.attachCrossPod(profile))
        let report = await Bench.run(options) { line in
            FileHandle.standardError.write(Data("bench: \(line)\n".utf8))
        }
        print(report.table, terminator: "")
        if let jsonPath {
            try report.json().write(to: URL(fileURLWithPath: jsonPath))
        }
        if !report.errors.isEmpty { throw ExitCode.failure }
    }
}

extension BenchCommand {
    /// The headline scenario of each profile's suite.
    static func attachCrossPod(_ profile: ServerProfile) -> String {
        switch profile {
        case .seed: "Scenarios/attach-cross-pod.yaml"
        case .hosted: "Scenarios/hosted/attach-cross-pod.yaml"
        }
    }
}

extension BenchSection: ExpressibleByArgument {}
