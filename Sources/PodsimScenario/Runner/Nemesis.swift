import PodsimCluster
import PodsimModel

/// The faults a scenario injects, Jepsen's nemesis: signals to processes by name and link
/// daemons started for a caller. Each fault answers the wall-clock time it was invoked, which a
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

    /// Starts a link daemon for the user behind `apiKey`, waiting until its link is live.
    func startLinkDaemon(_ name: String, apiKey: String, ttl: Duration) async throws {
        try await cluster.startLinkDaemon(LinkDaemonSpec(name: name, apiKey: apiKey, ttlMillis: Int64(ttl / .milliseconds(1))))
    }
}
