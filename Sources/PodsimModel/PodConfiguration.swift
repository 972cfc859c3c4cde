/// Timing knobs shared by every pod of a cluster. Defaults keep recovery around a second
/// (the real system's lease is 45 s).
public struct PodTimings: Sendable, Equatable, Codable {
    /// How long a run attempt's lease lasts without renewal.
    public var leaseMillis: Int64 = 1000
    /// How often idle workers look for expired leases (enqueues wake them at once).
    public var pollMillis: Int64 = 100
    /// Interval between `: keepalive` comments on idle streams.
    public var keepaliveMillis: Int64 = 1000
    /// Upper bound on a graceful drain after SIGTERM.
    public var drainMillis: Int64 = 3000

    public init(leaseMillis: Int64 = 1000, pollMillis: Int64 = 100, keepaliveMillis: Int64 = 1000, drainMillis: Int64 = 3000) {
        self.leaseMillis = leaseMillis
        self.pollMillis = pollMillis
        self.keepaliveMillis = keepaliveMillis
        self.drainMillis = drainMillis
    }
}

/// Everything one pod process needs to start. The coordinator fills it in, reading the pod's
/// environment as the real pods would (`STUDIO_SANDBOX_RUNNER`, `PODSIM_DOCKER_AVAILABLE`), and
/// passes it as one encoded value.
public struct PodConfiguration: Sendable, Codable, Equatable {
    public var name: String
    /// The server era every pod of the cluster simulates.
    public var profile: ServerProfile
    public var host: String
    public var port: Int
    public var storePath: String
    public var providerURL: String
    public var bugs: Set<BugSwitch>
    /// Candidate fixes of open bugs switched on (`--fix`); empty is the real server.
    public var fixes: Set<OpenBug> = []
    public var timings: PodTimings
    /// `STUDIO_SANDBOX_RUNNER`: the default provider kind when the user has no live link.
    public var sandboxRunner: SandboxKind?
    /// Whether docker is available to this pod (never in the default cluster, as in the real CI).
    public var dockerAvailable: Bool
    /// Runs one pod executes at once.
    public var maxConcurrentRuns: Int
    /// The coordinator's pid: the pod exits when its parent changes (the coordinator died).
    public var parentPID: Int32?
    /// The hosted profile's knobs (unused by `seed`).
    public var hosted: HostedSettings
    /// `STUDIO_DISPATCH_ROLE` (hosted): which work queues this pod listens on.
    public var dispatchRole: DispatchRole
    /// The queues this pod dequeues from (hosted): its role's, narrowed by `PODSIM_LISTEN_QUEUES`
    /// to pin where gates and children run.
    public var listenQueues: Set<HostedQueue>
    /// Whether the pod journals its store writes for the run's history (absent in an encoded
    /// configuration: true).
    public var history: Bool = true
    /// The coordinator's loopback UDP port for the notice that the pod listens (absent: none sent).
    public var readinessPort: Int?

    public init(
        name: String, profile: ServerProfile = .default, host: String = "127.0.0.1", port: Int, storePath: String, providerURL: String,
        bugs: Set<BugSwitch> = [], timings: PodTimings = .init(), sandboxRunner: SandboxKind? = nil,
        dockerAvailable: Bool = false, maxConcurrentRuns: Int = 32, parentPID: Int32? = nil,
        hosted: HostedSettings = .init(), dispatchRole: DispatchRole = .all, listenQueues: Set<HostedQueue>? = nil
    ) {
        self.listenQueues = listenQueues ?? dispatchRole.queues
        self.name = name
        self.profile = profile
        self.host = host
        self.port = port
        self.storePath = storePath
        self.providerURL = providerURL
        self.bugs = bugs
        self.timings = timings
        self.sandboxRunner = sandboxRunner
        self.dockerAvailable = dockerAvailable
        self.maxConcurrentRuns = maxConcurrentRuns
        self.parentPID = parentPID
        self.hosted = hosted
        self.dispatchRole = dispatchRole
    }

    private enum CodingKeys: String, CodingKey {
        case name, profile, host, port, storePath, providerURL, bugs, fixes, timings, sandboxRunner, dockerAvailable, maxConcurrentRuns
        case parentPID, hosted, dispatchRole, listenQueues, history, readinessPort
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        profile = try container.decode(ServerProfile.self, forKey: .profile)
        host = try container.decode(String.self, forKey: .host)
        port = try container.decode(Int.self, forKey: .port)
        storePath = try container.decode(String.self, forKey: .storePath)
        providerURL = try container.decode(String.self, forKey: .providerURL)
        bugs = try container.decode(Set<BugSwitch>.self, forKey: .bugs)
        fixes = try container.decode(Set<OpenBug>.self, forKey: .fixes)
        timings = try container.decode(PodTimings.self, forKey: .timings)
        sandboxRunner = try container.decodeIfPresent(SandboxKind.self, forKey: .sandboxRunner)
        dockerAvailable = try container.decode(Bool.self, forKey: .dockerAvailable)
        maxConcurrentRuns = try container.decode(Int.self, forKey: .maxConcurrentRuns)
        parentPID = try container.decodeIfPresent(Int32.self, forKey: .parentPID)
        hosted = try container.decode(HostedSettings.self, forKey: .hosted)
        dispatchRole = try container.decode(DispatchRole.self, forKey: .dispatchRole)
        listenQueues = try container.decode(Set<HostedQueue>.self, forKey: .listenQueues)
        history = try container.decodeIfPresent(Bool.self, forKey: .history) ?? true
        readinessPort = try container.decodeIfPresent(Int.self, forKey: .readinessPort)
    }

    public func has(_ bug: BugSwitch) -> Bool { bugs.contains(bug) }

    /// Whether the candidate fix of an open bug is on.
    public func fixes(_ bug: OpenBug) -> Bool { fixes.contains(bug) }
}
