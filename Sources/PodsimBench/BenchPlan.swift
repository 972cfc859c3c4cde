/// How much work each section does. `full` is what the targets are judged on; `quick`
/// keeps every section but shrinks its counts so a debug build finishes well within two minutes.
public struct BenchPlan: Sendable, Equatable {
    public var name: String
    /// Pod counts to boot, and how many boots of each (the median is reported).
    public var bootPods: [Int]
    public var bootRepeats: Int
    /// Chunks of the zero-delay delivery run, and how many floor samples to take beside it.
    public var deliveryChunks: Int
    public var floorSamples: Int
    /// Chunks of the second, paced delivery run (1 ms apart): the same path without the burst.
    public var pacedChunks: Int
    /// Pod counts for queue throughput, runs per count, and runs kept in flight at once (enough
    /// to saturate this machine: more in flight only lengthens the queue).
    public var throughputPods: [Int]
    public var throughputRuns: Int
    public var throughputWindow: Int
    /// Runs posted one at a time after the throughput runs, for the idle dispatch latency.
    public var dispatchRuns: Int
    /// Fan-out: watchers on one run (spread over 3 pods), and that run's chunk count and pacing.
    ///
    /// Every chunk costs each watcher a wake-up, a write and the bench's read of it, so the pacing
    /// sets the load: the full plan's 10,000 watchers at 10 ms apart would be a million writes a
    /// second, far past two cores. Measured here (perf, release build), a chunk's fan-out to 3,333
    /// watchers costs a pod about 40 ms of CPU, so three pods need more than 100 ms of the two
    /// cores per chunk: 100 ms apart saturates the machine and the backlog grows until a lease
    /// renewal comes late and the turn re-runs. 50 chunks 200 ms apart (50,000 writes a second)
    /// leave the pods half the machine.
    public var fanoutWatchers: Int
    public var fanoutChunks: Int
    public var fanoutChunkDelayMillis: Int
    /// Pod counts of the idle clusters whose total PSS gives the memory one more pod costs.
    public var memoryPods: [Int]

    public static let full = BenchPlan(
        name: "full", bootPods: [1, 3, 8, 16, 64], bootRepeats: 5, deliveryChunks: 10_000, floorSamples: 2_000, pacedChunks: 2_000,
        throughputPods: [1, 3, 8], throughputRuns: 2_000, throughputWindow: 128, dispatchRuns: 200,
        fanoutWatchers: 10_000, fanoutChunks: 50, fanoutChunkDelayMillis: 200, memoryPods: [3, 16])

    public static let quick = BenchPlan(
        name: "quick", bootPods: [1, 3], bootRepeats: 2, deliveryChunks: 1_000, floorSamples: 200, pacedChunks: 200,
        throughputPods: [1, 3, 8], throughputRuns: 200, throughputWindow: 128, dispatchRuns: 20,
        fanoutWatchers: 100, fanoutChunks: 30, fanoutChunkDelayMillis: 10, memoryPods: [3, 5])
}
