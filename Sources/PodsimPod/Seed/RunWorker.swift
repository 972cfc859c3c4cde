import Foundation
import PodsimModel
import PodsimServer
import PodsimStore
import ServiceLifecycle

/// Why an executing run was stopped before it finished.
enum AbortReason: Sendable, Equatable {
    /// A user cancelled it (on any pod).
    case cancelled
    /// This pod is draining after SIGTERM; the run is handed to a survivor.
    case draining
    /// Another pod took the run over; this pod must not write anything more for it.
    case leaseLost
}

/// Claims runs from the shared queue and executes them, up to `maxConcurrentRuns` at once.
actor RunWorker {
    private struct ActiveRun {
        let threadId: String
        let attempt: Int
        /// Whether the lease keeper renews this attempt's lease, and whether losing it stops the run.
        let renewsLease: Bool
        let fenced: Bool
        let task: Task<Void, Never>
        var abortReason: AbortReason?
    }

    let context: PodContext
    let doorbell = Doorbell()
    private var active: [Int64: ActiveRun] = [:]
    private var draining = false

    init(context: PodContext) {
        self.context = context
    }

    private var claimPolicy: Store.ClaimPolicy {
        Store.ClaimPolicy(
            reclaimOwnedRuns: !context.configuration.has(.noReclaim),
            purgeDeadAttempt: !context.configuration.has(.resumeWithoutPurge),
            restartSequence: !context.configuration.has(.gapAfterChurn))
    }

    var isDraining: Bool { draining }

    /// Runs one claim takes at most: enough to fill a burst's free workers with few writes,
    /// few enough that the claim's transaction stays short.
    static let claimBatch = 8

    /// Whether a run enqueued now would be claimed here at once.
    var hasFreeWorker: Bool { !draining && active.count < context.configuration.maxConcurrentRuns }

    /// The claim loop: runs until the pod drains (`RunWorkerService`).
    func run() async {
        let timings = context.configuration.timings
        while !draining && !Task.isCancelled {
            let free = context.configuration.maxConcurrentRuns - active.count
            if free > 0 {
                let claims = await claimNext(limit: min(free, Self.claimBatch))
                if draining {
                    await release(claims)
                    return
                }
                for claim in claims { start(claim, fenced: !context.configuration.has(.splitBrainWrites)) }
                if !claims.isEmpty { continue }
            }
            await doorbell.wait(upTo: .milliseconds(timings.pollMillis))
        }
    }

    private func claimNext(limit: Int) async -> [Store.ClaimedRun] {
        let store = context.store
        let policy = claimPolicy
        do {
            guard try await store.hasClaimableRun(policy: policy) else { return [] }
            return try await store.claimRuns(
                pod: context.name, leaseMillis: context.configuration.timings.leaseMillis, policy: policy, limit: limit)
        } catch {
            logLine("\(context.name): claim failed: \(error)")
            return []
        }
    }

    /// Hands back runs claimed just as the drain began, before any of them started.
    private func release(_ claims: [Store.ClaimedRun]) async {
        for claim in claims {
            try? await context.store.releaseRun(runId: claim.runId, attempt: claim.attempt, pod: context.name)
            logLine("\(context.name): released run \(claim.runId) attempt \(claim.attempt), claimed as the drain began")
        }
    }

    private func start(_ claim: Store.ClaimedRun, fenced: Bool, renewsLease: Bool = true) {
        let runId = claim.runId
        logLine("\(context.name): claimed run \(runId) of thread \(claim.run.threadId) attempt \(claim.attempt)\(claim.isReclaim ? " (reclaim)" : "")")
        let execution = RunExecution(claim: claim, context: context, fenced: fenced, worker: self)
        let task = Task {
            await execution.execute()
            self.finished(runId: runId, attempt: claim.attempt)
        }
        active[runId] = ActiveRun(
            threadId: claim.run.threadId, attempt: claim.attempt, renewsLease: renewsLease, fenced: fenced, task: task)
    }

    private func finished(runId: Int64, attempt: Int) {
        if active[runId]?.attempt == attempt { active[runId] = nil }
        Task { await doorbell.ring() }
    }

    /// Stops a run this pod executes; returns whether it was executing here.
    @discardableResult
    func abort(runId: Int64, reason: AbortReason) -> Bool {
        guard var run = active[runId] else { return false }
        if run.abortReason == nil { run.abortReason = reason }
        active[runId] = run
        run.task.cancel()
        return true
    }

    func abortReason(runId: Int64) -> AbortReason? { active[runId]?.abortReason }

    /// An attempt whose lease the lease keeper renews.
    struct LeasedAttempt: Sendable {
        let runId: Int64
        let attempt: Int
        let fenced: Bool
    }

    var leasedAttempts: [LeasedAttempt] {
        active.compactMap { runId, run in
            run.renewsLease && run.abortReason == nil ? LeasedAttempt(runId: runId, attempt: run.attempt, fenced: run.fenced) : nil
        }
    }

    /// The run this pod executes for a thread, if any (pod-local memory).
    func executingRun(threadId: String) -> Int64? {
        active.first { $0.value.threadId == threadId }?.key
    }

    /// A cancel signal arrived from another pod: abort the run if it executes here and the
    /// store confirms the request.
    func cancelSignalled(runId: Int64) async {
        guard active[runId] != nil, (try? await context.store.run(id: runId))?.cancelRequested == true else { return }
        abort(runId: runId, reason: .cancelled)
    }

    /// The `attach-reexecutes` bug: execute a run another pod owns, without claiming it, as a
    /// phantom attempt 0 whose chunks and parts land beside the owner's.
    func reexecute(threadId: String) async {
        guard executingRun(threadId: threadId) == nil, var claim = try? await context.store.runningRun(threadId: threadId),
            claim.run.ownerPod != context.name
        else { return }
        claim.run.attempt = 0
        logLine("\(context.name): BUG attach-reexecutes: re-executing run \(claim.runId) owned by \(claim.run.ownerPod ?? "nobody")")
        start(claim, fenced: false, renewsLease: false)
    }

    /// Graceful drain: stop claiming, abort every in-flight run (each releases its lease unless
    /// `drain-loses-runs`), and wait for them, at most `timeout`.
    func drain(timeout: Duration) async {
        draining = true
        await doorbell.ring()
        let tasks = active.values.map(\.task)
        for runId in active.keys { abort(runId: runId, reason: .draining) }
        let deadline = ContinuousClock.now + timeout
        for task in tasks {
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero { break }
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await task.value }
                group.addTask { try? await Task.sleep(for: remaining) }
                await group.next()
                group.cancelAll()
            }
        }
        context.bus.publish(.runsAvailable)
    }
}

/// The run worker as a service: claims and executes runs until shutdown, then drains: stops
/// claiming, hands in-flight runs back (at most `drainMillis`), and announces them to survivors.
struct RunWorkerService: Service {
    let worker: RunWorker
    let drainMillis: Int64

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await worker.run() }
            try? await gracefulShutdown()
            logLine("\(worker.context.name): draining (at most \(drainMillis) ms)")
            await worker.drain(timeout: .milliseconds(drainMillis))
            group.cancelAll()
        }
    }
}

/// Renews the lease of every attempt this pod executes, every third of the lease, and stops an
/// attempt whose lease was lost (another pod reclaimed it) or whose cancel was requested.
struct LeaseKeeper: Service {
    let worker: RunWorker
    let context: PodContext

    func run() async throws {
        let lease = context.configuration.timings.leaseMillis
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(max(lease / 3, 10))) }
            for attempt in await worker.leasedAttempts {
                await renew(attempt, leaseMillis: lease)
            }
        }
    }

    private func renew(_ leased: RunWorker.LeasedAttempt, leaseMillis: Int64) async {
        let pod = context.name
        guard let status = try? await context.store.renewLease(runId: leased.runId, attempt: leased.attempt, pod: pod, leaseMillis: leaseMillis)
        else { return }
        if !status.held && leased.fenced {
            logLine("\(pod): fenced: lost the lease on run \(leased.runId) attempt \(leased.attempt); stopping without further writes")
            await worker.abort(runId: leased.runId, reason: .leaseLost)
        } else if status.cancelRequested && !context.configuration.has(.cancelLocalOnly) {
            await worker.abort(runId: leased.runId, reason: .cancelled)
        }
    }
}
