import PodsimCluster
import PodsimModel

/// The faults a scenario injects, Jepsen's nemesis: signals to processes by name, link
/// daemons started for a caller, and faults on the hosted bus. Each fault answers the wall-clock time it was invoked, which a
/// `record:` keeps for `stampedAfter` checks.
struct Nemesis: Sendable {
    private let cluster: Cluster

    init(cluster: Cluster) {
        self.cluster = cluster
    }

    /// Injects the fault and returns the time it was invoked (before the signal was sent).
    @discardableResult
    func inject(_ action: FaultAction, on name: String) async throws -> Int64 {
        let at = wallClockMillis()
        switch action {
        case .kill: try await cluster.kill(name)
        case .stop: try await cluster.stop(name)
        case .start: try await cluster.start(name)
        case .pause: try await cluster.pause(name)
        case .resume: try await cluster.resume(name)
        case .restart:
            // The same process again (name, port, environment): hosted recovery is bound to the name.
            try await cluster.stop(name)
            try await cluster.start(name)
        }
        return at
    }

    /// Injects, heals or restarts on the hosted bus; returns when it took effect.
    func bus(_ action: BusStep.Action, on pod: String?, duration: Duration?, count: Int?) async throws -> Int64 {
        switch action {
        case .heal: return try await cluster.healBus()
        case .restart: return try await cluster.restartBus()
        case .refusePublish, .failConsumerOpen, .degrade, .failChildStart:
            return try await cluster.injectBusFault(
                ControlAPI.BusFault(kind: action.rawValue, pod: pod, forMs: duration.map { Int64($0 / .milliseconds(1)) }, count: count))
        }
    }

    /// Starts a link daemon for the user behind `apiKey`, waiting until its link is live.
    func startLinkDaemon(_ name: String, apiKey: String, ttl: Duration) async throws {
        try await cluster.startLinkDaemon(LinkDaemonSpec(name: name, apiKey: apiKey, ttlMillis: Int64(ttl / .milliseconds(1))))
    }
}
