import AsyncHTTPClient
import PodsimCluster
import PodsimModel
import PodsimStore
import Synchronization

/// Section 3: how many runs a cluster completes per second with 1, 3 and 8 pods, and how long a
/// run waits from its POST's 202 to its first chunk.
///
/// Each run gets its own thread (runs of one thread are serialized by design, which is not what
/// this measures) and a zero-delay `slow:5x0` turn. The bench keeps a fixed number of runs in
/// flight (posted and not yet finished), enough to saturate the queue; the 202-to-first-chunk
/// wait of those runs therefore includes queueing. Afterwards a few runs are posted one at a
/// time, which gives the same wait on an otherwise idle cluster: the dispatch path alone.
public struct ThroughputFigures: Codable, Sendable {
    public struct Row: Codable, Sendable {
        public var pods: Int
        public var runs: Int
        /// Runs that ended `failed`, of all this section posted (throughput and one-at-a-time).
        public var failed: Int
        public var seconds: Double
        public var runsPerSecond: Double
        /// From the 202 reaching the bench to the owner's first append, under the saturating load, ms.
        public var acceptedToFirstChunk: Distribution
        /// The same for runs posted one at a time, ms.
        public var idleAcceptedToFirstChunk: Distribution
    }

    /// Runs kept in flight at once while measuring throughput, the same for every pod count.
    public var window: Int
    public var rows: [Row]

    func row(pods: Int) -> Row? { rows.first { $0.pods == pods } }
}

enum ThroughputBench {
    static let hints = "slow:5x0"
    /// How often the bench counts finished runs while it keeps the window full. Each count is a
    /// store read in the bench's own process, competing with the pods for the same cores; 5 ms
    /// keeps the window full (a window of 128 runs lasts far longer) at a fifth of the cost of 1 ms.
    static let pollInterval = Duration.milliseconds(5)

    static func measure(plan: BenchPlan, target: BenchTarget, progress: (String) -> Void) async throws -> ThroughputFigures {
        var rows: [ThroughputFigures.Row] = []
        for pods in plan.throughputPods {
            let row = try await BenchCluster.with(pods: pods, target: target) { cluster in
                try await withBenchHTTPClient { http in
                    try await measure(pods: pods, cluster: cluster, http: http, plan: plan, queries: RunQueries(target.profile))
                }
            }
            progress(
                "throughput \(pods) pod(s): \(format(row.runsPerSecond)) runs/s; 202→first chunk p99 \(format(row.acceptedToFirstChunk.p99)) ms "
                    + "loaded, \(format(row.idleAcceptedToFirstChunk.p99)) ms idle")
            rows.append(row)
        }
        return ThroughputFigures(window: plan.throughputWindow, rows: rows)
    }

    /// The 202 times of the POSTs so far, and the first POST failure, shared by the POST tasks
    /// and the loop that paces them.
    private final class Posts: Sendable {
        private let state = Mutex<(accepted: [String: Double], failure: String?)>(([:], nil))

        func accepted(thread: String, at time: Double) { state.withLock { $0.accepted[thread] = time } }
        func failed(_ message: String) { state.withLock { $0.failure = $0.failure ?? message } }
        var failure: String? { state.withLock { $0.failure } }
        var acceptedTimes: [String: Double] { state.withLock { $0.accepted } }
    }

    /// Where one cluster's runs go: its pods, the account (and agent) they run as, its store, and
    /// how its profile's runs are counted there.
    private struct Target: Sendable {
        var urls: [String]
        var account: BenchAccount
        var store: Store
        var queries: RunQueries
    }

    /// The store queries that count a profile's runs (one per thread here) and find each run's
    /// first append: seed's run and chunk tables; hosted's gate workflows, thread statuses and
    /// duplicate window (the subject itself is purged when a run ends).
    struct RunQueries: Sendable {
        var finished: String
        var failed: String
        /// Rows of `thread` and `first` (ms).
        var firstAppends: String

        init(_ profile: ServerProfile) {
            switch profile {
            case .seed:
                finished = "SELECT count(*) AS n FROM run WHERE state IN ('completed', 'failed')"
                failed = "SELECT count(*) AS n FROM run WHERE state = 'failed'"
                firstAppends = "SELECT r.threadId AS thread, min(c.createdAt) AS first FROM run r JOIN chunk c ON c.runId = r.id GROUP BY r.id"
            case .hosted:
                finished = "SELECT count(*) AS n FROM workflow WHERE kind = 'gate' AND status IN ('SUCCESS', 'ERROR')"
                failed = "SELECT count(*) AS n FROM thread WHERE status = 'failed'"
                firstAppends = """
                    SELECT t.id AS thread, (SELECT min(d.storedAt) FROM dedup d WHERE substr(d.msgId, 1, length(t.id) + 1) = t.id || ':') AS first
                    FROM thread t
                    """
            }
        }
    }

    private static func measure(
        pods: Int, cluster: Cluster, http: HTTPClient, plan: BenchPlan, queries: RunQueries
    ) async throws -> ThroughputFigures.Row {
        let urls = await cluster.podURLs
        let account = try await BenchAccount.create(on: urls[0], http: http)
        let target = Target(
            urls: urls, account: account, store: try await Store.open(at: cluster.storePath, clock: wallClockMillis), queries: queries)
        let threads = try await createThreads(plan.throughputRuns + plan.dispatchRuns, target)
        let loaded = try await drive(Array(threads[..<plan.throughputRuns]), window: plan.throughputWindow, target)
        let idle = try await drive(Array(threads[plan.throughputRuns...]), window: 1, target)

        let failed = try await count(target.store, queries.failed)
        let firstChunks = try await target.store.query(queries.firstAppends)
        var waits: (loaded: [Double], idle: [Double]) = ([], [])
        for row in firstChunks {
            guard let thread = row["thread"] ?? nil, let first = (row["first"] ?? nil).flatMap({ Int64($0) }) else { continue }
            if let accepted = loaded.accepted[thread] { waits.loaded.append(midpoint(ofMillisecond: first) - accepted) }
            if let accepted = idle.accepted[thread] { waits.idle.append(midpoint(ofMillisecond: first) - accepted) }
        }
        return ThroughputFigures.Row(
            pods: pods, runs: plan.throughputRuns, failed: failed, seconds: loaded.seconds,
            runsPerSecond: Double(plan.throughputRuns) / loaded.seconds, acceptedToFirstChunk: Distribution(waits.loaded),
            idleAcceptedToFirstChunk: Distribution(waits.idle))
    }

    /// Posts one run on each thread, round-robin over the pods, keeping at most `window` runs
    /// unfinished, until every run finished (completed or failed) by the store's account.
    private static func drive(_ threads: [String], window: Int, _ target: Target) async throws -> (seconds: Double, accepted: [String: Double]) {
        let finishedSQL = target.queries.finished
        let alreadyFinished = try await count(target.store, finishedSQL)
        let posts = Posts()
        let started = ContinuousClock.now
        let deadline = started + .seconds(300)
        var posted = 0
        var finished = 0
        await withTaskGroup(of: Void.self) { group in
            while finished < threads.count, posts.failure == nil, ContinuousClock.now < deadline {
                while posted < threads.count, posted - finished < window {
                    let thread = threads[posted]
                    let pod = target.urls[posted % target.urls.count]
                    group.addTask {
                        do {
                            try await target.account.post(hints: hints, thread: thread, on: pod)
                            posts.accepted(thread: thread, at: preciseWallClockMillis())
                        } catch {
                            posts.failed("\(error)")
                        }
                    }
                    posted += 1
                }
                try? await Task.sleep(for: pollInterval)
                finished = ((try? await count(target.store, finishedSQL)) ?? alreadyFinished + finished) - alreadyFinished
            }
            await group.waitForAll()
        }
        let seconds = millis(since: started) / 1000
        if let failure = posts.failure { throw BenchError("a POST failed during the throughput run: \(failure)") }
        guard finished == threads.count else {
            throw BenchError("only \(finished) of \(threads.count) runs finished within \(deadline - started)")
        }
        return (seconds, posts.acceptedTimes)
    }

    /// Setup, not timed: one thread per run, created a few at a time over every pod.
    private static func createThreads(_ count: Int, _ target: Target) async throws -> [String] {
        try await withThrowingTaskGroup(of: String.self) { group in
            var threads: [String] = []
            for index in 0..<count {
                if index >= 16, let thread = try await group.next() { threads.append(thread) }
                let pod = target.urls[index % target.urls.count]
                group.addTask { try await target.account.createThread(on: pod) }
            }
            for try await thread in group { threads.append(thread) }
            return threads
        }
    }

    private static func count(_ store: Store, _ sql: String) async throws -> Int {
        guard let value = try await store.query(sql).first?["n"] ?? nil, let number = Int(value) else {
            throw BenchError("no count from \(sql)")
        }
        return number
    }
}
