import PodsimCluster

/// Section 1: how long `up` takes until every process answers its liveness probe, beside the
/// floor of spawning the same number of bare processes of the binary and reaping them.
public struct BootFigures: Codable, Sendable {
    public struct Row: Codable, Sendable {
        public var pods: Int
        /// Every boot, store creation to all-live, ms.
        public var bootMs: [Double]
        public var bootMedianMs: Double
        /// Spawning pods + 1 processes of the binary (`podsim bugs`) at once until all exited, ms.
        public var floorMs: [Double]
        public var floorMedianMs: Double
        public var ratio: Double
    }

    public var rows: [Row]

    func row(pods: Int) -> Row? { rows.first { $0.pods == pods } }
}

enum BootBench {
    static func measure(plan: BenchPlan, target: BenchTarget, progress: (String) -> Void) async throws -> BootFigures {
        var rows: [BootFigures.Row] = []
        for pods in plan.bootPods {
            var boots: [Double] = []
            var floors: [Double] = []
            for round in 1...plan.bootRepeats {
                floors.append(try spawnFloor(processes: pods + 1, executable: target.executable))
                boots.append(try await bootOnce(pods: pods, target: target))
                progress("boot \(pods) pod(s) #\(round): \(format(boots.last!)) ms (floor \(format(floors.last!)) ms)")
            }
            let bootMedian = median(boots)
            let floorMedian = median(floors)
            rows.append(
                BootFigures.Row(
                    pods: pods, bootMs: boots, bootMedianMs: bootMedian, floorMs: floors, floorMedianMs: floorMedian,
                    ratio: floorMedian > 0 ? bootMedian / floorMedian : 0))
        }
        return BootFigures(rows: rows)
    }

    /// One `Cluster.boot`: store creation, the mock provider and every pod spawned, until each
    /// answered its liveness probe. Shutdown is not timed.
    private static func bootOnce(pods: Int, target: BenchTarget) async throws -> Double {
        let spec = BenchCluster.spec(pods: pods, target: target)
        let started = ContinuousClock.now
        let cluster: Cluster
        do {
            cluster = try await Cluster.boot(spec)
        } catch {
            BenchCluster.remove(spec.stateDirectory)
            throw error
        }
        let elapsed = millis(since: started)
        await BenchCluster.takeDown(cluster)
        return elapsed
    }

    /// Spawns `processes` copies of the binary running its cheapest command and waits for all
    /// of them: the cost of starting that many processes of this executable at all.
    private static func spawnFloor(processes: Int, executable: String) throws -> Double {
        let started = ContinuousClock.now
        let children = try (0..<processes).map { _ in try Spawned.start(executable, ["bugs"]) }
        for child in children { child.waitBlocking() }
        return millis(since: started)
    }
}
