import AsyncHTTPClient
import PodsimCluster
import PodsimModel
import PodsimStore

/// Section 2: how long a chunk takes from the owner's append to a watcher's socket, on the
/// owner pod and across pods, for a zero-delay run; beside it the floor of one SQLite commit
/// plus one loopback HTTP round trip, measured on the same cluster just before. A second run
/// with the chunks paced 1 ms apart shows the same path when it is not racing a burst.
public struct DeliveryFigures: Codable, Sendable {
    /// Chunks in the zero-delay run's log (each watcher must receive all of them, in order).
    public var chunks: Int
    /// The pod that executed the zero-delay run.
    public var ownerPod: String
    /// Wall time from the run's first to its last append, ms (the append rate under load).
    public var appendSpanMs: Double
    /// Latency to the watcher on the owner pod, ms.
    public var owner: Distribution
    /// Latency to the watchers on every other pod, ms.
    public var crossPod: Distribution
    /// One chunk commit to a store of the same schema plus one keep-alive GET to a pod, ms.
    public var floor: Distribution
    public var floorCommit: Distribution
    public var floorRoundTrip: Distribution
    /// Cross-pod percentile over the floor's same percentile.
    public var p50OverFloor: Double
    public var p99OverFloor: Double
    /// The paced run: its chunk count and its owner and cross-pod latencies, ms.
    public var pacedChunks: Int
    public var pacedOwner: Distribution
    public var pacedCrossPod: Distribution
    /// Watchers over both runs, and those that received every chunk in order.
    public var watchers: Int
    public var watchersComplete: Int
    public var problems: [String]
}

enum DeliveryBench {
    static let pods = 3

    static func measure(plan: BenchPlan, target: BenchTarget, progress: (String) -> Void) async throws -> DeliveryFigures {
        try await BenchCluster.with(pods: pods, target: target) { cluster in
            try await withBenchHTTPClient { http in
                try await measure(cluster: cluster, http: http, plan: plan, profile: target.profile, progress: progress)
            }
        }
    }

    /// What the watchers of one run received.
    private struct WatchedRun {
        var log: [RunLog.Entry]
        var check: DeliveryCheck
        var owner: String
        var others: [String]

        var ownerLatency: Distribution { Distribution(check.latencies(on: [owner])) }
        var crossPodLatency: Distribution { Distribution(check.latencies(on: others)) }
    }

    private static func measure(
        cluster: Cluster, http: HTTPClient, plan: BenchPlan, profile: ServerProfile, progress: (String) -> Void
    ) async throws -> DeliveryFigures {
        let podURLs = await cluster.podURLs
        let account = try await BenchAccount.create(on: podURLs[0], http: http)
        let thread = try await account.createThread(on: podURLs[0])
        let store = try await Store.open(at: cluster.storePath, clock: wallClockMillis)

        let floor = try await measureFloor(samples: plan.floorSamples, storePath: cluster.stateDirectory + "/floor.sqlite", pods: podURLs)
        progress("delivery floor: commit + round trip p50 \(format(floor.total.p50)) ms, p99 \(format(floor.total.p99)) ms")

        func watch(_ hints: String) async throws -> WatchedRun {
            try await waitUntilSettled(thread: thread, store: store)
            let end = try await RunLog.end(thread: thread, profile: profile, store: store)
            let pods = podURLs.indices.map { "pod-\($0 + 1)" }
            let fleet = try await SSEFleet.attach(
                podURLs.map { account.streamURL(on: $0, thread: thread) }, headers: account.auth, lifetime: .seconds(180))
            defer { fleet.cancel() }
            try await account.post(hints: hints, thread: thread, on: podURLs[0])
            let watched = zip(pods, await fleet.frames()).map { pod, frames in
                DeliveryCheck.Watched(pod: pod, frames: frames.filter { RunLog.isLogged($0, profile: profile) })
            }
            let log = try await RunLog.read(thread: thread, after: end, profile: profile, store: store)
            guard let owner = log.pod, !log.entries.isEmpty else { throw BenchError("the run \(hints) logged no chunks") }
            return WatchedRun(
                log: log.entries, check: DeliveryCheck(watched: watched, log: log.entries), owner: owner, others: pods.filter { $0 != owner })
        }

        let burst = try await watch("slow:\(plan.deliveryChunks)x0")
        progress(
            "delivery: \(burst.log.count) chunks, cross-pod p50 \(format(burst.crossPodLatency.p50)) ms, p99 \(format(burst.crossPodLatency.p99)) ms")
        let paced = try await watch("slow:\(plan.pacedChunks)x1")
        progress("delivery paced 1 ms apart: cross-pod p50 \(format(paced.crossPodLatency.p50)) ms, p99 \(format(paced.crossPodLatency.p99)) ms")
        let crossPod = burst.crossPodLatency
        return DeliveryFigures(
            chunks: burst.log.count, ownerPod: burst.owner,
            appendSpanMs: Double((burst.log.last?.createdAt ?? 0) - (burst.log.first?.createdAt ?? 0)),
            owner: burst.ownerLatency, crossPod: crossPod,
            floor: floor.total, floorCommit: floor.commit, floorRoundTrip: floor.roundTrip,
            p50OverFloor: ratio(crossPod.p50, floor.total.p50), p99OverFloor: ratio(crossPod.p99, floor.total.p99),
            pacedChunks: paced.log.count, pacedOwner: paced.ownerLatency, pacedCrossPod: paced.crossPodLatency,
            watchers: 2 * podURLs.count, watchersComplete: burst.check.completeWatchers + paced.check.completeWatchers,
            problems: burst.check.problems + paced.check.problems)
    }

    /// Waits until the thread's previous run wrote its terminal state: a watcher attaching
    /// while the store still says `in_progress` would (rightly) replay that run's chunks.
    private static func waitUntilSettled(thread: String, store: Store) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while try await store.thread(id: thread)?.status == .inProgress {
            guard ContinuousClock.now < deadline else { throw BenchError("thread \(thread) stayed in_progress for 30 s") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// The physical floor of a cross-pod delivery: the owner's commit and the watcher's HTTP hop.
    /// The commit goes to a scratch store of the same schema and settings beside the cluster's;
    /// the hop is a keep-alive GET of `/health/live` on a bare socket, like the watchers use.
    private static func measureFloor(
        samples: Int, storePath: String, pods: [String]
    ) async throws -> (commit: Distribution, roundTrip: Distribution, total: Distribution) {
        let store = try await Store.create(at: storePath, clock: wallClockMillis)
        let body = try UIChunk.textDelta(id: "text-1-1", delta: "chunk-1 ").storedBody()
        let sockets = try pods.map { try LoopbackSocket(url: $0) }
        defer { for socket in sockets { socket.close() } }
        var commits: [Double] = []
        var trips: [Double] = []
        for index in 0..<samples {
            let started = ContinuousClock.now
            try await store.appendChunks(
                [.init(seq: index + 1, body: body)], threadId: "floor", runId: 1, attempt: 1, pod: "bench", fenced: false)
            let committed = ContinuousClock.now
            let status = try sockets[index % sockets.count].roundTrip("/health/live")
            guard status == 200 else { throw BenchError("GET /health/live answered \(status)") }
            commits.append(milliseconds(committed - started))
            trips.append(millis(since: committed))
        }
        let totals = zip(commits, trips).map { $0 + $1 }
        return (Distribution(commits), Distribution(trips), Distribution(totals))
    }
}

/// `value / base`, or 0 when there is no base to compare with.
func ratio(_ value: Double, _ base: Double) -> Double {
    base > 0 ? value / base : 0
}
