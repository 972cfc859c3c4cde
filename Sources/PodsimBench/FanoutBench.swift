import AsyncHTTPClient
import PodsimCluster
import PodsimModel
import PodsimStore

/// Section 4: one run watched by many concurrent streams spread over 3 pods. Every watcher must
/// receive every chunk in log order; reported beside that are the delivery latency over all
/// watchers and each pod's peak resident memory (the pods are fresh, so the peak is this run's).
public struct FanoutFigures: Codable, Sendable {
    public struct PodMemory: Codable, Sendable {
        public var pod: String
        public var watchers: Int
        /// Resident memory before any watcher attached, MiB.
        public var idleMiB: Double
        /// Resident memory once every watcher was attached, before the run, MiB.
        public var attachedMiB: Double
        /// What one attached watcher costs the pod: (attached − idle) / watchers, KiB.
        public var perWatcherKiB: Double
        /// Peak resident memory (VmHWM) after the run, MiB.
        public var peakMiB: Double
    }

    public var watchers: Int
    public var watchersComplete: Int
    public var chunks: Int
    /// The provider's pause between text chunks, ms.
    public var chunkIntervalMs: Int
    public var latency: Distribution
    public var pods: [PodMemory]
    public var maxPeakMiB: Double
    public var problems: [String]
}

enum FanoutBench {
    static let pods = 3

    static func measure(plan: BenchPlan, target: BenchTarget, progress: (String) -> Void) async throws -> FanoutFigures {
        try FileLimit.raise(toAtLeast: plan.fanoutWatchers + 1024)
        return try await BenchCluster.with(pods: pods, target: target) { cluster in
            try await withBenchHTTPClient { http in
                try await measure(cluster: cluster, http: http, plan: plan, profile: target.profile, progress: progress)
            }
        }
    }

    private static func measure(
        cluster: Cluster, http: HTTPClient, plan: BenchPlan, profile: ServerProfile, progress: (String) -> Void
    ) async throws -> FanoutFigures {
        let urls = await cluster.podURLs
        let names = urls.indices.map { "pod-\($0 + 1)" }
        let account = try await BenchAccount.create(on: urls[0], http: http)
        let thread = try await account.createThread(on: urls[0])

        let pids = await BenchCluster.podPIDs(cluster)
        let idle = try pids.map { try memory(of: $0) }
        let watcherPods = (0..<plan.fanoutWatchers).map { $0 % urls.count }
        let fleet = try await SSEFleet.attach(
            watcherPods.map { account.streamURL(on: urls[$0], thread: thread) }, headers: account.auth, lifetime: .seconds(120))
        defer { fleet.cancel() }
        let attached = try pids.map { try memory(of: $0) }
        progress("fan-out: \(watcherPods.count) watchers attached; posting a \(plan.fanoutChunks)-chunk run")

        try await account.post(hints: "slow:\(plan.fanoutChunks)x\(plan.fanoutChunkDelayMillis)", thread: thread, on: urls[0])
        let watched = zip(watcherPods, await fleet.frames()).map { pod, frames in
            DeliveryCheck.Watched(pod: names[pod], frames: frames.filter { RunLog.isLogged($0, profile: profile) })
        }
        let peaks = try pids.map { try memory(of: $0) }
        let store = try await Store.open(at: cluster.storePath, clock: wallClockMillis)
        let log = try await RunLog.read(thread: thread, after: 0, profile: profile, store: store).entries
        let check = DeliveryCheck(watched: watched, log: log)
        let podMemory = pids.indices.map { index in
            let watchers = watcherPods.filter { names[$0] == pids[index].name }.count
            return FanoutFigures.PodMemory(
                pod: pids[index].name, watchers: watchers, idleMiB: idle[index].rssMiB, attachedMiB: attached[index].rssMiB,
                perWatcherKiB: watchers == 0 ? 0 : (attached[index].rssMiB - idle[index].rssMiB) * 1024 / Double(watchers),
                peakMiB: peaks[index].peakMiB)
        }
        let latency = Distribution(check.latencies(on: names))
        let maxPeak = podMemory.map(\.peakMiB).max() ?? 0
        progress("fan-out: \(check.completeWatchers)/\(watched.count) complete, p99 \(format(latency.p99)) ms, peak RSS \(format(maxPeak)) MiB")
        return FanoutFigures(
            watchers: watched.count, watchersComplete: check.completeWatchers, chunks: log.count,
            chunkIntervalMs: plan.fanoutChunkDelayMillis, latency: latency,
            pods: podMemory, maxPeakMiB: maxPeak, problems: check.problems)
    }

    private static func memory(of pod: (name: String, pid: Int32)) throws -> ProcessMemory {
        guard let memory = ProcessMemory.read(pid: pod.pid) else { throw BenchError("\(pod.name) (pid \(pod.pid)) is gone") }
        return memory
    }
}
