/// Which era of the real server a cluster's pods simulate.
///
/// `seed` is the server of June 2026 (lease reclaim by any survivor, attempt-scoped chunk logs,
/// link daemons); `hosted` is today's (gate, child and projector workflows, a fence per turn,
/// one log per thread, recovery bound to the executing pod's name). Every pod of a cluster runs
/// the same profile.
public enum ServerProfile: String, CaseIterable, Sendable, Codable {
    case seed
    case hosted

    public static let `default` = ServerProfile.seed
}

/// A switch bound to one profile's code: a bug switch (on brings a fixed bug back) or an open
/// bug (on applies a candidate fix). A scenario may only turn on its own profile's.
public protocol ProfileBoundSwitch: RawRepresentable<String>, CaseIterable, Sendable {
    /// What the scenario language calls one: `bug switch`, `open bug`.
    static var noun: String { get }
    /// What its ids are called: `bug id`, `open bug id`.
    static var idNoun: String { get }
    var profile: ServerProfile { get }
}

/// `STUDIO_DISPATCH_ROLE`: which hosted work queues a pod takes work from. `api` serves HTTP only.
public enum DispatchRole: String, CaseIterable, Sendable, Codable {
    case all
    case worker
    case api

    /// The queues a pod of this role listens on (DBOS `listenQueues`).
    public var queues: Set<HostedQueue> { self == .api ? [] : Set(HostedQueue.allCases) }
}

/// The hosted profile's work queues, by their real DBOS names: gates on one, decopilot children on the other.
public enum HostedQueue: String, CaseIterable, Sendable, Codable, Comparable {
    case threadGate = "thread-gate"
    case hostedHarness = "decopilot-hosted-harness"

    public static func < (lhs: HostedQueue, rhs: HostedQueue) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The hosted profile's timing knobs and limits, scaled for tests. Each names the real setting
/// and its value; the defaults keep a scenario's recovery within seconds.
public struct HostedSettings: Sendable, Equatable, Codable {
    /// `RUN_IDLE_TIMEOUT_MS` (real: 600 s default, 120 s in the multi-pod compose stack): stream
    /// silence after which the projector fails a run `liveness`, and the reaper's staleness bound.
    public var idleTimeoutMillis: Int64 = 6000
    /// `REAP_INTERVAL_MS` (real: 5 min): how often each pod's reaper scans its own runs.
    public var reapIntervalMillis: Int64 = 2000
    /// The liveness heartbeat (real: 30 s): a `data-liveness` chunk after this much model silence.
    public var livenessBeatMillis: Int64 = 2000
    /// The waiting-capacity heartbeat (real: 30 s): a `waiting-capacity` stage frame while the
    /// turn's child waits for a pod with a free slot.
    public var capacityBeatMillis: Int64 = 1500
    /// JetStream's duplicate window (real: 2 min): a message id seen this recently is dropped,
    /// even after a purge.
    public var dedupWindowMillis: Int64 = 20_000
    /// The projector's `last_progress_at` throttle (real: 3 s).
    public var progressThrottleMillis: Int64 = 500
    /// The DBOS Conductor's delay before it re-enqueues a dead executor's workflows (production
    /// only; nil, the default, means no conductor, as in the real compose stack).
    public var conductorDelayMillis: Int64?
    /// `DECOPILOT_MAX_CONCURRENT_HOSTED_RUNS` (real: 3): children one pod executes at once.
    public var runCap: Int = 3
    /// The publish retry's first backoff (real: 250 ms, doubling to 5 000 ms over 6 attempts, jitter
    /// 0.5, ~8 s in all): podsim doubles it up to 16× over 6 attempts, ~3 s at the default, so a
    /// 2 s publish refusal is absorbed. Consumer opens retry on the same schedule.
    public var publishRetryBaseMillis: Int64 = 100
    /// podsim only (0, the default, in the real server): a pause between the child's start and
    /// the gate's consume step, so a scenario can let a fast run finish before its projector starts.
    public var projectorStartDelayMillis: Int64 = 0
    /// podsim only (0, the default): a pause after the projector's terminal purge, before the
    /// gate journals its end, so a scenario can kill the gate's pod in that window.
    public var pauseAfterPurgeMillis: Int64 = 0

    public init(
        idleTimeoutMillis: Int64 = 6000, reapIntervalMillis: Int64 = 2000, livenessBeatMillis: Int64 = 2000,
        capacityBeatMillis: Int64 = 1500, dedupWindowMillis: Int64 = 20_000, progressThrottleMillis: Int64 = 500,
        conductorDelayMillis: Int64? = nil, runCap: Int = 3, publishRetryBaseMillis: Int64 = 100,
        projectorStartDelayMillis: Int64 = 0, pauseAfterPurgeMillis: Int64 = 0
    ) {
        self.idleTimeoutMillis = idleTimeoutMillis
        self.reapIntervalMillis = reapIntervalMillis
        self.livenessBeatMillis = livenessBeatMillis
        self.capacityBeatMillis = capacityBeatMillis
        self.dedupWindowMillis = dedupWindowMillis
        self.progressThrottleMillis = progressThrottleMillis
        self.conductorDelayMillis = conductorDelayMillis
        self.runCap = runCap
        self.publishRetryBaseMillis = publishRetryBaseMillis
        self.projectorStartDelayMillis = projectorStartDelayMillis
        self.pauseAfterPurgeMillis = pauseAfterPurgeMillis
    }
}
