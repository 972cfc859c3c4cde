import ArgumentParser
import Foundation
import PodsimLink
import PodsimMockAI
import PodsimPod
import PodsimWire

/// `podsim pod`: one pod process. The coordinator starts it; users never need to.
struct PodCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pod", abstract: "Run one pod (started by the coordinator).", shouldDisplay: false)

    @Option var name: String
    @Option var port: Int
    @Option var store: String
    @Option(name: .customLong("provider-url")) var providerURL: String
    @Option(name: .customLong("parent-pid")) var parentPID: Int32?
    @Option(name: .customLong("bug")) var bugs: [BugSwitch] = []
    @Option(name: .customLong("max-runs")) var maxRuns: Int = 32
    @OptionGroup var timing: TimingOptions

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        var runner: ProviderKind?
        if let raw = environment["STUDIO_SANDBOX_RUNNER"], !raw.isEmpty {
            guard let kind = ProviderKind(rawValue: raw) else {
                throw ValidationError(
                    "STUDIO_SANDBOX_RUNNER=\(raw) is not a sandbox provider kind (expected \(ProviderKind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            runner = kind
        }
        let configuration = PodConfiguration(
            name: name, port: port, storePath: store, providerURL: providerURL, bugs: Set(bugs), timings: timing.timings,
            sandboxRunner: runner, dockerAvailable: environment["PODSIM_DOCKER_AVAILABLE"] == "1",
            maxConcurrentRuns: maxRuns, parentPID: parentPID)
        try await Pod.run(configuration)
    }
}

/// `podsim mock-ai`: the OpenAI-compatible mock provider.
struct MockAICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mock-ai", abstract: "Run the mock OpenAI-compatible provider on loopback.")

    @Option var port: Int = 0
    @Option(name: .customLong("parent-pid")) var parentPID: Int32?

    func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            if let parentPID {
                group.addTask { await exitWhenOrphaned(parent: parentPID, name: "mock-ai") }
            }
            try await runMockAI(MockAIConfiguration(port: port))
            group.cancelAll()
        }
    }
}

/// `podsim link-daemon`: a user's link daemon (started through the coordinator).
struct LinkDaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link-daemon", abstract: "Run a link daemon for one user (started by the coordinator).", shouldDisplay: false)

    @Option var name: String = "link-1"
    @Option var port: Int
    @Option(name: .customLong("pod")) var podURLs: [String]
    @Option(name: .customLong("api-key")) var apiKey: String
    @Option(name: .customLong("ttl-ms")) var ttlMillis: Int64 = 3000
    @Option(name: .customLong("parent-pid")) var parentPID: Int32?

    func validate() throws {
        if podURLs.isEmpty { throw ValidationError("give at least one --pod URL") }
        if ttlMillis <= 0 { throw ValidationError("--ttl-ms must be positive") }
    }

    func run() async throws {
        try await LinkDaemon.run(
            LinkDaemonConfiguration(name: name, port: port, podURLs: podURLs, apiKey: apiKey, ttlMillis: ttlMillis, parentPID: parentPID))
    }
}
