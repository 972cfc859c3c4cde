import ArgumentParser
import PodsimModel
import PodsimPod

/// Timing flags of `up` (scenarios set theirs in their `cluster:` block).
struct TimingOptions: ParsableArguments {
    @Option(name: .customLong("lease-ms"), help: "Run lease length in milliseconds.")
    var leaseMillis: Int64 = PodTimings().leaseMillis
    @Option(name: .customLong("poll-ms"), help: "How often idle workers look for expired leases.")
    var pollMillis: Int64 = PodTimings().pollMillis
    @Option(name: .customLong("keepalive-ms"), help: "Interval between SSE keepalive comments.")
    var keepaliveMillis: Int64 = PodTimings().keepaliveMillis
    @Option(name: .customLong("drain-ms"), help: "Upper bound on a pod's graceful drain after SIGTERM.")
    var drainMillis: Int64 = PodTimings().drainMillis

    var timings: PodTimings {
        PodTimings(leaseMillis: leaseMillis, pollMillis: pollMillis, keepaliveMillis: keepaliveMillis, drainMillis: drainMillis)
    }

    func validate() throws {
        try validateMillis([("lease-ms", leaseMillis), ("poll-ms", pollMillis), ("keepalive-ms", keepaliveMillis), ("drain-ms", drainMillis)])
    }
}

/// Refuses a millisecond flag outside `from`…a day, naming the flag.
func validateMillis(_ flags: [(name: String, value: Int64)], from lowest: Int64 = 1) throws {
    for (name, value) in flags where !(lowest...86_400_000).contains(value) {
        throw ValidationError("--\(name) must be between \(lowest) and 86400000 ms, a day (got \(value))")
    }
}

/// The hosted profile's knobs as flags (`podsim up --profile hosted`); each names its real setting.
struct HostedKnobOptions: ParsableArguments {
    @Option(name: .customLong("idle-timeout-ms"), help: "Hosted: RUN_IDLE_TIMEOUT_MS, stream silence before a run fails liveness.")
    var idleTimeoutMillis: Int64 = HostedSettings().idleTimeoutMillis
    @Option(name: .customLong("reap-interval-ms"), help: "Hosted: REAP_INTERVAL_MS, how often each pod's reaper runs.")
    var reapIntervalMillis: Int64 = HostedSettings().reapIntervalMillis
    @Option(name: .customLong("liveness-beat-ms"), help: "Hosted: model silence before a data-liveness chunk.")
    var livenessBeatMillis: Int64 = HostedSettings().livenessBeatMillis
    @Option(name: .customLong("capacity-beat-ms"), help: "Hosted: interval of waiting-capacity frames while a child is queued.")
    var capacityBeatMillis: Int64 = HostedSettings().capacityBeatMillis
    @Option(name: .customLong("dedup-window-ms"), help: "Hosted: the subject's duplicate window (JetStream: 2 min).")
    var dedupWindowMillis: Int64 = HostedSettings().dedupWindowMillis
    @Option(name: .customLong("progress-throttle-ms"), help: "Hosted: the last_progress_at bump throttle.")
    var progressThrottleMillis: Int64 = HostedSettings().progressThrottleMillis
    @Option(name: .customLong("conductor-ms"), help: "Hosted: enable a DBOS conductor that recovers a dead pod's work after this delay.")
    var conductorDelayMillis: Int64?
    @Option(name: .customLong("run-cap"), help: "Hosted: DECOPILOT_MAX_CONCURRENT_HOSTED_RUNS, children per pod.")
    var runCap: Int = HostedSettings().runCap
    @Option(name: .customLong("publish-retry-base-ms"), help: "Hosted: the first backoff of the publish and consumer-open retries.")
    var publishRetryBaseMillis: Int64 = HostedSettings().publishRetryBaseMillis
    @Option(name: .customLong("projector-start-delay-ms"), help: "Hosted (podsim only): pause before the gate's consume step starts.")
    var projectorStartDelayMillis: Int64 = 0
    @Option(name: .customLong("pause-after-purge-ms"), help: "Hosted (podsim only): pause after the projector's terminal purge, before the gate ends.")
    var pauseAfterPurgeMillis: Int64 = 0

    var settings: HostedSettings {
        HostedSettings(
            idleTimeoutMillis: idleTimeoutMillis, reapIntervalMillis: reapIntervalMillis, livenessBeatMillis: livenessBeatMillis,
            capacityBeatMillis: capacityBeatMillis, dedupWindowMillis: dedupWindowMillis, progressThrottleMillis: progressThrottleMillis,
            conductorDelayMillis: conductorDelayMillis, runCap: runCap, publishRetryBaseMillis: publishRetryBaseMillis,
            projectorStartDelayMillis: projectorStartDelayMillis, pauseAfterPurgeMillis: pauseAfterPurgeMillis)
    }

    func validate() throws {
        let durations = [
            ("idle-timeout-ms", idleTimeoutMillis), ("reap-interval-ms", reapIntervalMillis), ("liveness-beat-ms", livenessBeatMillis),
            ("capacity-beat-ms", capacityBeatMillis), ("dedup-window-ms", dedupWindowMillis), ("progress-throttle-ms", progressThrottleMillis),
            ("publish-retry-base-ms", publishRetryBaseMillis),
        ] + (conductorDelayMillis.map { [("conductor-ms", $0)] } ?? [])
        try validateMillis(durations)
        try validateMillis([("projector-start-delay-ms", projectorStartDelayMillis), ("pause-after-purge-ms", pauseAfterPurgeMillis)], from: 0)
        guard (1...64).contains(runCap) else { throw ValidationError("--run-cap must be between 1 and 64 (got \(runCap))") }
    }
}

extension ServerProfile: ExpressibleByArgument {}

extension BugSwitch: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension OpenBug: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

/// Refuses a `--bug` or `--fix` whose code belongs to another profile than the cluster's.
func requireProfile(_ profile: ServerProfile, bugs: [BugSwitch], fixes: [OpenBug]) throws {
    let foreign = bugs.filter { $0.profile != profile }.map { "--bug \($0.rawValue) applies to the \($0.profile.rawValue) profile only" }
        + fixes.filter { $0.profile != profile }.map { "--fix \($0.rawValue) applies to the \($0.profile.rawValue) profile only" }
    guard foreign.isEmpty else {
        throw ValidationError(foreign.joined(separator: "; ") + " (this cluster runs \(profile.rawValue))")
    }
}

/// Parses `KEY=VALUE`.
func parseAssignment(_ text: String, flag: String) throws -> (String, String) {
    guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
        throw ValidationError("\(flag) expects KEY=VALUE, got \"\(text)\"")
    }
    return (String(text[..<equals]), String(text[text.index(after: equals)...]))
}
