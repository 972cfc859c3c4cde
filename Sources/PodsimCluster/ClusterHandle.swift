import PodsimModel

/// What a scenario runs against: a cluster podsim booted (`Cluster`) or one it did not
/// (`ExternalCluster`, `podsim run --target`). The runner reaches the processes through this
/// alone, so the same scenario drives either.
public protocol ClusterHandle: Actor {
    /// The server era the pods simulate.
    nonisolated var profile: ServerProfile { get }
    /// How many pods (`pod-1` … `pod-N`) the cluster has.
    nonisolated var podCount: Int { get }
    /// Where the run writes what it keeps (`history.jsonl`).
    nonisolated var stateDirectory: String { get }
    /// The SQLite store, when this machine can open it.
    nonisolated var storeFile: String? { get }
    /// Where the run's history starts, on the monotonic clock every process shares and as epoch
    /// milliseconds.
    nonisolated var bootedAtNanos: Int64 { get }
    nonisolated var bootedAtMillis: Int64 { get }
    /// The store's journal rows up to this id were written before this run (a shared cluster's
    /// earlier runs); the run's history starts after it.
    nonisolated var journalStart: Int64 { get }

    func processList() async -> [ControlAPI.ProcessStatus]
    func info(_ name: String) async throws -> ControlAPI.ProcessStatus
    func url(of name: String) async throws -> String
    var mockAIURL: String { get async }

    /// Kills, stops, starts, pauses or resumes a process; returns once it took effect.
    func perform(_ action: ProcessAction, on name: String) async throws
    /// Starts a link daemon for the user behind the daemon's API key, once its link is live.
    func startLinkDaemon(for daemon: LinkDaemonSpec) async throws
    func injectBusFault(_ fault: ControlAPI.BusFault) async throws -> Int64
    func healBus() async throws -> Int64
    func restartBus() async throws -> Int64

    /// Ends the run's use of the cluster: a booted cluster stops every process it started; an
    /// external one is put back as the run found it.
    func close() async
}

extension Cluster: ClusterHandle {
    public nonisolated var profile: ServerProfile { spec.profile }
    public nonisolated var podCount: Int { spec.pods }
    public nonisolated var storeFile: String? { storePath }
    public nonisolated var journalStart: Int64 { 0 }

    public func perform(_ action: ProcessAction, on name: String) async throws {
        switch action {
        case .kill: try await kill(name)
        case .stop: try await stop(name)
        case .start: try await start(name)
        case .pause: try await pause(name)
        case .resume: try await resume(name)
        }
    }

    public func startLinkDaemon(for daemon: LinkDaemonSpec) async throws {
        _ = try await startLinkDaemon(daemon)
    }

    public func close() async { await shutdown() }
}
