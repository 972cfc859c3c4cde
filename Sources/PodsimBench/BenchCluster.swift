import Foundation
import PodsimCluster
import PodsimModel

/// What every bench cluster runs: the podsim binary the clusters re-execute, the server
/// profile their pods simulate, and whether the pods journal their history (as every run does,
/// unless `--no-history`).
public struct BenchTarget: Sendable {
    public var executable: String
    public var profile: ServerProfile
    public var history: Bool

    public init(executable: String, profile: ServerProfile = .default, history: Bool = true) {
        self.executable = executable
        self.profile = profile
        self.history = history
    }
}

/// Boots a real cluster for one measurement and always takes it down again: every process
/// reaped (`Cluster.shutdown`) and the state directory deleted, whether the measurement threw
/// or not.
enum BenchCluster {
    /// The environment every bench cluster runs with: local dispatch, as the CI cluster pins it,
    /// so a POST answers 202 without a link daemon.
    static let environment = ["STUDIO_SANDBOX_RUNNER": "docker"]

    static func spec(pods: Int, target: BenchTarget) -> ClusterSpec {
        ClusterSpec(
            pods: pods, stateDirectory: freshStateDirectory(), environment: environment, profile: target.profile,
            executable: target.executable, history: target.history)
    }

    static func with<T>(pods: Int, target: BenchTarget, _ body: (Cluster) async throws -> T) async throws -> T {
        let spec = spec(pods: pods, target: target)
        let cluster: Cluster
        do {
            cluster = try await Cluster.boot(spec)
        } catch {
            remove(spec.stateDirectory)
            throw error
        }
        do {
            let result = try await body(cluster)
            await takeDown(cluster)
            return result
        } catch {
            await takeDown(cluster)
            throw error
        }
    }

    static func takeDown(_ cluster: Cluster) async {
        await cluster.shutdown()
        remove(cluster.stateDirectory)
    }

    static func remove(_ directory: String?) {
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }

    static func freshStateDirectory() -> String {
        FileManager.default.temporaryDirectory.path + "/podsim-bench-" + UUID().uuidString.prefix(8).lowercased()
    }

    /// The pid of each running pod, by name.
    static func podPIDs(_ cluster: Cluster) async -> [(name: String, pid: Int32)] {
        await cluster.processList().compactMap { info in
            guard info.role == .pod, let pid = info.pid else { return nil }
            return (info.name, pid)
        }
    }
}
