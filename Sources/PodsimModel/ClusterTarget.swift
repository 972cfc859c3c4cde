import Foundation

/// What a cluster was started with beyond its pods and bug switches: written into
/// `cluster.json` so that a scenario run against that cluster (`podsim run --target`) can tell
/// whether the cluster is the one the scenario asks for.
public struct ClusterSettings: Sendable, Codable, Equatable {
    /// Environment of every pod (`STUDIO_SANDBOX_RUNNER`, …).
    public var environment: [String: String]
    /// Extra environment per pod name.
    public var podEnvironment: [String: [String: String]]
    public var timings: PodTimings
    public var hosted: HostedSettings
    /// Candidate fixes of open bugs switched on.
    public var fixes: [String]

    public init(
        environment: [String: String] = [:], podEnvironment: [String: [String: String]] = [:], timings: PodTimings = .init(),
        hosted: HostedSettings = .init(), fixes: [String] = []
    ) {
        self.environment = environment
        self.podEnvironment = podEnvironment
        self.timings = timings
        self.hosted = hosted
        self.fixes = fixes
    }
}

/// A cluster podsim did not boot, as `podsim run --target FILE` reads it: the shape of
/// `cluster.json` (so a `podsim up` cluster's own file is a target as it is), where only the pods
/// and the mock provider are required, plus how to fault its processes when the podsim control
/// API is not there.
public struct TargetDescription: Sendable, Codable, Equatable {
    public var pods: [ClusterDescription.Pod]
    public var mockAI: ClusterDescription.Endpoint
    /// The SQLite store, when this machine can open it: `store:` checks and the run's history need it.
    public var store: String?
    /// The podsim control API: faults, link daemons, bus faults and process logs.
    public var control: ClusterDescription.Endpoint?
    /// Shell commands that fault a process, `{name}` standing for its name; they take precedence
    /// over the control API for the actions they name.
    public var faults: FaultCommands?
    /// The bug switches the target runs with (none when absent).
    public var bugs: [String]?
    /// `seed` when absent.
    public var profile: String?
    /// The target's settings; absent means podsim's defaults.
    public var settings: ClusterSettings?

    public init(
        pods: [ClusterDescription.Pod], mockAI: ClusterDescription.Endpoint, store: String? = nil, control: ClusterDescription.Endpoint? = nil,
        faults: FaultCommands? = nil, bugs: [String]? = nil, profile: String? = nil, settings: ClusterSettings? = nil
    ) {
        self.pods = pods
        self.mockAI = mockAI
        self.store = store
        self.control = control
        self.faults = faults
        self.bugs = bugs
        self.profile = profile
        self.settings = settings
    }
}

/// `faults:` of a target file: one shell command per process action, run with `/bin/sh -c`
/// after `{name}` is replaced by the process's name.
public struct FaultCommands: Sendable, Codable, Equatable {
    public var kill: String?
    public var stop: String?
    public var start: String?
    public var pause: String?
    public var resume: String?

    public init(kill: String? = nil, stop: String? = nil, start: String? = nil, pause: String? = nil, resume: String? = nil) {
        self.kill = kill
        self.stop = stop
        self.start = start
        self.pause = pause
        self.resume = resume
    }

    /// The command template for `action`, if the target gave one.
    public subscript(action: ProcessAction) -> String? {
        switch action {
        case .kill: kill
        case .stop: stop
        case .start: start
        case .pause: pause
        case .resume: resume
        }
    }

    /// The placeholder a template may use.
    public static let namePlaceholder = "{name}"

    /// The command for `action` on the process `name`; nil when the target has no template for it.
    public func command(_ action: ProcessAction, name: String) -> String? {
        self[action].map { $0.replacingOccurrences(of: Self.namePlaceholder, with: name) }
    }
}
