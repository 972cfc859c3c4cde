import Foundation
import PodsimModel

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
    /// Candidate fixes of open bugs to switch on; empty is the real server.
    public var fixes: Set<OpenBug>
    public var timings: PodTimings
    /// The server era the pods simulate.
    public var profile: ServerProfile
    /// The hosted profile's knobs (ignored by `seed`).
    public var hosted: HostedSettings
    /// The podsim binary every child role re-executes.
    public var executable: String
    /// How long each process may take to become live.
    public var readinessTimeout: Duration
    /// Whether every pod journals its store writes for the run's history.
    public var history: Bool

    public init(
        pods: Int = 3, stateDirectory: String? = nil, environment: [String: String] = [:],
        podEnvironment: [String: [String: String]] = [:], bugs: Set<BugSwitch> = [], fixes: Set<OpenBug> = [],
        timings: PodTimings = .init(), profile: ServerProfile = .default, hosted: HostedSettings = .init(),
        executable: String = ClusterSpec.currentExecutable, readinessTimeout: Duration = .seconds(20), history: Bool = true
    ) {
        self.history = history
        self.profile = profile
        self.hosted = hosted
        self.pods = pods
        self.stateDirectory = stateDirectory
        self.environment = environment
        self.podEnvironment = podEnvironment
        self.bugs = bugs
        self.fixes = fixes
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

    public static let defaultTTLMillis: Int64 = 3000
    /// A link's TTL: at least 1 ms, at most a day.
    public static let ttlRange: ClosedRange<Int64> = 1...86_400_000

    public init(name: String, apiKey: String, ttlMillis: Int64 = LinkDaemonSpec.defaultTTLMillis) {
        self.name = name
        self.apiKey = apiKey
        self.ttlMillis = ttlMillis
    }

    /// Refuses a name that is not a process name (it becomes a log file name) and a TTL out of range.
    static func validate(name: String, ttlMillis: Int64) throws {
        try ProcessName.validate(name)
        guard ttlRange.contains(ttlMillis) else {
            throw ClusterError.invalidRequest("ttlMs must be between \(ttlRange.lowerBound) and \(ttlRange.upperBound) (got \(ttlMillis))")
        }
    }
}

/// The names of processes a user can start: short and path-safe, since each names a log file
/// in the state directory and a child's command line (`[A-Za-z0-9_][A-Za-z0-9_-]{0,62}`, the
/// names scenarios have always allowed, without a leading `-`).
public enum ProcessName {
    public static let rule = "1 to 63 letters, digits, '_' or '-', not starting with '-'"

    public static func isValid(_ name: String) -> Bool {
        func allowed(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
        }
        let bytes = Array(name.utf8)
        guard let first = bytes.first, allowed(first), bytes.count <= 63 else { return false }
        return bytes.allSatisfy { allowed($0) || $0 == UInt8(ascii: "-") }
    }

    static func validate(_ name: String) throws {
        guard isValid(name) else {
            let shown = name.count > 70 ? String(name.prefix(64)) + "…" : name
            throw ClusterError.invalidRequest("invalid process name \"\(shown)\": use \(rule)")
        }
    }
}
