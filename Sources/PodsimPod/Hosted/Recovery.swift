#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PodsimModel
import PodsimServer
import PodsimStore
import ServiceLifecycle

/// How hosted workflows come back after their pod died: the executor that restarts under the
/// same name puts its PENDING rows back in the queue before it dequeues anything (any pod may
/// then take them), and, in production only, a conductor does the same for an executor that
/// stayed dead for a while. Nobody else ever takes a dead pod's workflows over.
enum Recovery {
    /// `DBOS.launch()`'s recovery of this executor's PENDING gates and children.
    static func requeueOwnWorkflows(context: PodContext) async {
        do {
            let recovered = try await context.store.requeueWorkflows(executor: context.name)
            guard !recovered.isEmpty else { return }
            logLine("\(context.name): recovered \(recovered.count) workflow(s): \(recovered.map(\.id).sorted().joined(separator: ", "))")
            context.bus.publish(.runsAvailable)
        } catch {
            logLine("\(context.name): recovery at boot failed: \(error)")
        }
    }
}

/// The DBOS Conductor (only when `conductorDelayMillis` is set): every pod watches the executors
/// holding PENDING workflows, and one whose process has been gone for the delay gets its
/// workflows put back in the queue.
struct Conductor: Service {
    let context: PodContext
    let delayMillis: Int64

    func run() async throws {
        var deadSince: [String: Int64] = [:]
        let interval = Duration.milliseconds(max(delayMillis / 4, 100))
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            guard let executors = try? await context.store.executorsWithPendingWorkflows(),
                let endpoints = try? await context.store.podEndpoints()
            else { continue }
            let pids = Dictionary(endpoints.map { ($0.name, $0.pid) }, uniquingKeysWith: { $1 })
            let now = wallClockMillis()
            deadSince = deadSince.filter { executors.contains($0.key) }
            for executor in executors where executor != context.name {
                if let pid = pids[executor], Self.isAlive(pid) {
                    deadSince[executor] = nil
                    continue
                }
                let since = deadSince[executor] ?? now
                deadSince[executor] = since
                guard now - since >= delayMillis else { continue }
                deadSince[executor] = nil
                guard let requeued = try? await context.store.requeueWorkflows(executor: executor), !requeued.isEmpty else { continue }
                logLine("\(context.name): conductor requeued \(requeued.count) workflow(s) of dead executor \(executor)")
                context.bus.publish(.runsAvailable)
            }
        }
    }

    /// Whether a process with this pid exists (`kill(pid, 0)`).
    static func isAlive(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }
}
