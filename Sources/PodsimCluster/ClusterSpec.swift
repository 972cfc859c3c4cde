import Foundation
import PodsimPod

/// What a cluster is made of; `podsim up` flags and a scenario's `cluster:` block both build one.
public struct ClusterSpec: Sendable {
    /// Number of pods (`pod-1` … `pod-N`).
    public var pods: Int
    /// The state directory; nil means a fresh temporary directory.
    public var stateDirectory: String?
    /// Environment for every pod (e.g. `STUDIO_SANDBOX_RUNNER`).
    public var environment: [String: String]
    /// Extra environment per pod name, layered over `environment`.
    public var podEnvironment: [String: [String: String]]
    /// Historical bugs to bring back; empty in normal use.
    public var bugs: Set<BugSwitch>
    public var timings: PodTimings
    /// The podsim binary every child role re-executes.
    public var executable: String
    /// How long each process may take to become live.
    public var readinessTimeout: Duration

    public init(
        pods: Int = 3, stateDirectory: String? = nil, environment: [String: String] = [:],
        podEnvironment: [String: [String: String]] = [:], bugs: Set<BugSwitch> = [], timings: PodTimings = .init(),
        executable: String = ClusterSpec.currentExecutable, readinessTimeout: Duration = .seconds(20)
    ) {
        self.pods = pods
        self.stateDirectory = stateDirectory
        self.environment = environment
        self.podEnvironment = podEnvironment
        self.bugs = bugs
        self.timings = timings
        self.executable = executable
        self.readinessTimeout = readinessTimeout
    }

    /// This process's own binary (the CLI re-executes itself for every child role).
    public static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

/// A link daemon to start for a user.
public struct LinkDaemonSpec: Sendable {
    public var name: String
    public var apiKey: String
    public var ttlMillis: Int64

    public init(name: String, apiKey: String, ttlMillis: Int64 = 3000) {
        self.name = name
        self.apiKey = apiKey
        self.ttlMillis = ttlMillis
    }
}
