import PodsimModel
import PodsimServer
import PodsimStore
import ServiceLifecycle

/// The in-pod reaper (run-registry): every `reapIntervalMillis` it scans the children running
/// here. A child whose thread is no longer in progress is evicted without a write; a child with
/// no progress for `idleTimeoutMillis` (since `lastProgressAt`, or its local start) is failed
/// `stall` and aborted. Nothing is purged.
struct Reaper: Service {
    let context: PodContext
    let runs: HostedRuns

    static let stallReason = "Run stalled — no progress within the idle timeout window"

    func run() async throws {
        let interval = Duration.milliseconds(context.configuration.hosted.reapIntervalMillis)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            if Task.isShuttingDownGracefully { return }
            await sweep()
        }
    }

    func sweep() async {
        let idleTimeout = context.configuration.hosted.idleTimeoutMillis
        for entry in await runs.snapshot where entry.abortReason == nil {
            guard let thread = try? await context.store.thread(id: entry.threadId) else { continue }
            guard thread.status == .inProgress else {
                await runs.abort(threadId: entry.threadId, reason: .evicted)
                continue
            }
            let baseline = thread.hosted.lastProgressAt ?? entry.startedAt
            guard wallClockMillis() - baseline > idleTimeout else { continue }
            logLine("\(context.name): reaping the child of \(entry.threadId): no progress for \(wallClockMillis() - baseline) ms")
            _ = try? await context.store.markRunFailed(threadId: entry.threadId, kind: "stall", reason: Self.stallReason)
            await runs.abort(threadId: entry.threadId, reason: .reaped)
        }
    }
}
