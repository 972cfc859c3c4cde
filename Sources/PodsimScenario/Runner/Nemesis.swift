import PodsimCluster
import PodsimHistory
import PodsimModel

/// The faults a scenario injects, Jepsen's nemesis: signals to processes by name, link
/// daemons started for a caller, and faults on the hosted bus. Each fault answers the wall-clock
/// time it was invoked, which a `record:` keeps for `stampedAfter` checks, and is recorded in the
/// run's history from its request to its completion.
struct Nemesis: Sendable {
    private let cluster: any ClusterHandle
    private let recorder: HistoryRecorder

    init(cluster: any ClusterHandle, recorder: HistoryRecorder) {
        self.cluster = cluster
        self.recorder = recorder
    }

    /// Injects the fault and returns the time it was invoked (before the signal was sent).
    @discardableResult
    func inject(_ action: FaultAction, on name: String) async throws -> Int64 {
        let at = wallClockMillis()
        try await recorded(action.rawValue, target: name) {
            for step in action.processActions { try await cluster.perform(step, on: name) }
        }
        return at
    }

    /// Injects, heals or restarts on the hosted bus; returns when it took effect.
    func bus(_ action: BusStep.Action, on pod: String?, duration: Duration?, count: Int?) async throws -> Int64 {
        try await recorded("bus:\(action.rawValue)", target: pod) {
            switch action {
            case .heal: return try await cluster.healBus()
            case .restart: return try await cluster.restartBus()
            case .refusePublish, .failConsumerOpen, .degrade, .failChildStart:
                return try await cluster.injectBusFault(
                    ControlAPI.BusFault(kind: action.rawValue, pod: pod, forMs: duration.map { Int64($0 / .milliseconds(1)) }, count: count))
            }
        }
    }

    /// Starts a link daemon for the user behind `apiKey`, waiting until its link is live.
    func startLinkDaemon(_ name: String, apiKey: String, ttl: Duration) async throws {
        try await recorded("start-link-daemon", target: name) {
            try await cluster.startLinkDaemon(for: LinkDaemonSpec(name: name, apiKey: apiKey, ttlMillis: Int64(ttl / .milliseconds(1))))
        }
    }

    /// Runs one fault and records it: its action and target, from request to completion, and
    /// the error if it failed.
    private func recorded<Value>(_ action: String, target: String?, _ fault: () async throws -> Value) async throws -> Value {
        var event = recorder.now(.fault)
        event.action = action
        event.target = target
        do {
            let value = try await fault()
            await recorder.close(event)
            return value
        } catch {
            event.error = "\(error)"
            await recorder.close(event)
            throw error
        }
    }
}
