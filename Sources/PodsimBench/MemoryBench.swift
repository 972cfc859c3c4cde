import Foundation
import PodsimCluster
import PodsimModel

/// Section 5: resident memory of an idle cluster as users run it: a real `podsim up` process
/// (the coordinator), its mock provider and its pods, one second after it reported ready; then
/// the same for a bigger cluster, whose growth in total PSS says what one more pod costs.
public struct MemoryFigures: Codable, Sendable {
    public var coordinator: ProcessMemory
    public var mockProvider: ProcessMemory
    /// Each idle pod of the smaller cluster, in pod order.
    public var pods: [ProcessMemory]
    /// The largest idle pod RSS, MiB.
    public var maxIdlePodMiB: Double
    /// Total PSS (coordinator, provider, pods) of each idle cluster measured, by pod count.
    public var totalPSS: [ClusterPSS]?
    /// The growth of total PSS per added pod between the smallest and the largest cluster, MiB.
    public var marginalPodPSSMiB: Double?

    public struct ClusterPSS: Codable, Sendable {
        public var pods: Int
        public var totalMiB: Double
    }
}

enum MemoryBench {
    static let settle = Duration.seconds(1)

    static func measure(plan: BenchPlan, target: BenchTarget, progress: (String) -> Void) async throws -> MemoryFigures {
        guard let smallest = plan.memoryPods.min(), let largest = plan.memoryPods.max() else { throw BenchError("no pod counts to measure") }
        var figures = try await idle(pods: smallest, target: target)
        progress("memory: idle pod \(format(figures.maxIdlePodMiB)) MiB, coordinator \(format(figures.coordinator.rssMiB)) MiB")
        var totals = [MemoryFigures.ClusterPSS(pods: smallest, totalMiB: figures.totalPSSMiB)]
        for pods in plan.memoryPods.sorted() where pods != smallest {
            totals.append(.init(pods: pods, totalMiB: try await idle(pods: pods, target: target).totalPSSMiB))
        }
        figures.totalPSS = totals
        if largest > smallest, let last = totals.last {
            figures.marginalPodPSSMiB = (last.totalMiB - totals[0].totalMiB) / Double(largest - smallest)
            progress("memory: \(format(figures.marginalPodPSSMiB ?? 0)) MiB PSS per extra pod (\(smallest) → \(largest) pods)")
        }
        return figures
    }

    /// One idle `podsim up` of `pods` pods, read one second after it reported ready.
    private static func idle(pods: Int, target: BenchTarget) async throws -> MemoryFigures {
        let directory = BenchCluster.freshStateDirectory()
        let logPath = directory + ".log"
        defer {
            BenchCluster.remove(directory)
            BenchCluster.remove(logPath)
        }
        let up = try Spawned.start(
            target.executable,
            [
                "up", "--pods", String(pods), "--state-dir", directory, "--env", "STUDIO_SANDBOX_RUNNER=docker",
                "--profile", target.profile.rawValue,
            ],
            outputPath: logPath)
        do {
            let description = try await waitForDescription(directory + "/cluster.json", of: up, logPath: logPath)
            try await Task.sleep(for: settle)
            let figures = try read(description, coordinator: up.pid)
            await up.terminate(grace: .seconds(10))
            return figures
        } catch {
            await up.terminate(grace: .seconds(10))
            throw error
        }
    }

    private static func read(_ description: ClusterDescription, coordinator: Int32) throws -> MemoryFigures {
        guard let coordinatorMemory = ProcessMemory.read(pid: coordinator) else { throw BenchError("podsim up exited early") }
        guard let mock = childProcesses(of: coordinator, role: "mock-ai").first, let mockMemory = ProcessMemory.read(pid: mock) else {
            throw BenchError("no mock-ai process under podsim up \(coordinator)")
        }
        let pods = try description.pods.map { pod -> ProcessMemory in
            guard let pid = pod.pid, let memory = ProcessMemory.read(pid: pid) else { throw BenchError("\(pod.name) is not running") }
            return memory
        }
        return MemoryFigures(
            coordinator: coordinatorMemory, mockProvider: mockMemory, pods: pods, maxIdlePodMiB: pods.map(\.rssMiB).max() ?? 0)
    }

    /// Waits until `podsim up` wrote its cluster.json (it does once every process is live).
    private static func waitForDescription(_ path: String, of up: Spawned, logPath: String) async throws -> ClusterDescription {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let data = FileManager.default.contents(atPath: path),
                let description = try? JSONDecoder().decode(ClusterDescription.self, from: data)
            {
                return description
            }
            if kill(up.pid, 0) != 0 || isZombie(up.pid) {
                throw BenchError("podsim up exited before it was ready:\n\(logTail(logPath))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw BenchError("podsim up did not write \(path) within 60 s:\n\(logTail(logPath))")
    }

    private static func isZombie(_ pid: Int32) -> Bool {
        statFields(pid)?.state == "Z"
    }

    /// Pids whose parent is `parent` and whose command line names `role` as its subcommand.
    private static func childProcesses(of parent: Int32, role: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard statFields(pid)?.parent == parent,
                let commandLine = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")
            else { return false }
            return commandLine.split(separator: 0).dropFirst().first.map { String(decoding: $0, as: UTF8.self) } == role
        }
    }

    /// State and parent pid from `/proc/<pid>/stat` (fields after the parenthesized name).
    private static func statFields(_ pid: Int32) -> (state: String, parent: Int32)? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 1, let parent = Int32(fields[1]) else { return nil }
        return (String(fields[0]), parent)
    }
}

extension MemoryFigures {
    /// The PSS of every process of the cluster together, MiB.
    var totalPSSMiB: Double { coordinator.proportionalMiB + mockProvider.proportionalMiB + pods.map(\.proportionalMiB).reduce(0, +) }
}
