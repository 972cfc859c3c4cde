import Foundation
import PodsimModel
import PodsimServer
import PodsimStore
import ServiceLifecycle

/// This pod's end of the DBOS queues: dequeues gates (uncapped) and children (while fewer than
/// `runCap` run here) from the queues it listens on, runs each as a task bound to this pod's
/// executor name, and on SIGTERM hands its gates back to the queue.
actor WorkflowWorker {
    let context: PodContext
    let runs: HostedRuns
    let wakeups: SubjectWakeups
    /// Rung by `.runsAvailable` signals and when a local child ends (a slot freed).
    let doorbell = Doorbell()
    private var gates: [String: Task<Void, Never>] = [:]
    /// Children dequeued past the cap, waiting here for a local slot (the `park-inside-step` switch).
    private var parked: [Workflow] = []
    /// True from SIGTERM on: readiness answers 503 and nothing more is dequeued.
    private(set) var isDraining = false

    init(context: PodContext, runs: HostedRuns, wakeups: SubjectWakeups) {
        self.context = context
        self.runs = runs
        self.wakeups = wakeups
    }

    /// Boot recovery, then the dequeue loop until the drain.
    func run() async {
        await Recovery.requeueOwnWorkflows(context: context)
        let queues = context.configuration.listenQueues
        guard !queues.isEmpty else { return }
        let poll = Duration.milliseconds(context.configuration.timings.pollMillis)
        while !isDraining && !Task.isCancelled {
            var dequeued = false
            if queues.contains(.threadGate), let gate = await dequeue(.gate) {
                startGate(gate)
                dequeued = true
            }
            if queues.contains(.hostedHarness) {
                await startParkedChildren()
                if await dequeuesChild(), let child = await dequeue(.child) {
                    await admit(child)
                    dequeued = true
                }
            }
            if !dequeued { await doorbell.wait(upTo: poll) }
        }
    }

    /// Whether the loop may take a child: only with a free slot since #6261 (the cap at dequeue
    /// time); always before it (`park-inside-step`: it parks here) and before #4575 (`no-hosted-cap`).
    private func dequeuesChild() async -> Bool {
        let configuration = context.configuration
        if configuration.has(.noHostedCap) || configuration.has(.parkInsideStep) { return true }
        return await runs.count < configuration.hosted.runCap
    }

    /// Starts a dequeued child, or parks it on this pod when every slot is taken (only under
    /// `park-inside-step`; without it the loop never dequeues past the cap).
    private func admit(_ child: Workflow) async {
        let configuration = context.configuration
        if configuration.has(.parkInsideStep), !configuration.has(.noHostedCap), await runs.count >= configuration.hosted.runCap {
            logLine("\(context.name): parked child \(child.id) until a slot frees here")
            parked.append(child)
        } else {
            await startChild(child)
        }
    }

    /// Starts parked children while this pod has slots, oldest first.
    private func startParkedChildren() async {
        while !parked.isEmpty, await runs.count < context.configuration.hosted.runCap {
            await startChild(parked.removeFirst())
        }
    }

    private func dequeue(_ kind: WorkflowKind) async -> Workflow? {
        let store = context.store
        do {
            guard try await store.hasDequeueableWorkflow(kind: kind) else { return nil }
            return try await store.dequeue(kind: kind, executor: context.name)
        } catch {
            logLine("\(context.name): dequeue of a \(kind.rawValue) failed: \(error)")
            return nil
        }
    }

    private func startGate(_ workflow: Workflow) {
        logLine("\(context.name): dequeued gate \(workflow.id)\(workflow.recoveries > 0 ? " (recovered)" : "")")
        let gate = Gate(workflow: workflow, context: context, wakeups: wakeups)
        gates[workflow.id] = Task {
            await gate.execute()
            self.gateEnded(id: workflow.id)
        }
    }

    private func gateEnded(id: String) {
        gates[id] = nil
    }

    private func startChild(_ workflow: Workflow) async {
        guard let fence = workflow.fence else {
            logLine("\(context.name): child \(workflow.id) has no fence")
            _ = try? await context.store.finishWorkflow(id: workflow.id, executor: context.name, status: .error, error: "no fence")
            return
        }
        logLine("\(context.name): dequeued child \(workflow.id)\(workflow.recoveries > 0 ? " (recovered)" : "")")
        if context.configuration.fixes(.zombieChildRecovery), let thread = try? await context.store.thread(id: workflow.threadId),
            thread.hosted.fence != fence
        {
            logLine("\(context.name): child \(workflow.id) was superseded by a later turn; it ends without running")
            _ = try? await context.store.finishWorkflow(id: workflow.id, executor: context.name, status: .success)
            return
        }
        let child = Child(workflow: workflow, fence: fence, context: context, runs: runs)
        let doorbell = doorbell
        await runs.start(threadId: workflow.threadId, fence: fence, startedAt: wallClockMillis()) {
            await child.execute()
            await doorbell.ring()
        }
    }

    /// A cancel broadcast from another pod: abort the thread's child if it runs here and the
    /// store confirms the request.
    func cancelSignalled(threadId: String) async {
        guard (try? await context.store.thread(id: threadId))?.hosted.cancelRequestedAt != nil else { return }
        if await runs.cancel(threadId: threadId) { logLine("\(context.name): cancelled the child of \(threadId) on request") }
    }

    /// SIGTERM: readiness goes 503 and nothing more is dequeued; in-flight work keeps running.
    func beginDrain() async {
        isDraining = true
        await doorbell.ring()
    }

    /// The drain: in-flight gates and children keep running until they end, at most `limit`.
    /// (The real server always sleeps its whole drain; a pod with nothing in flight has nothing
    /// a longer sleep could show, so podsim's stops it early.)
    func waitForInFlightWork(upTo limit: Duration) async {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            let childrenRunning = await runs.count
            if gates.isEmpty && childrenRunning == 0 { return }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The end of the drain: stop every gate and child here without writes, hand the gates
    /// back to the queue (children stay PENDING on this executor), and tell the other pods.
    func handOff() async {
        let tasks = Array(gates.values)
        for task in tasks { task.cancel() }
        await runs.abortAll(timeout: .milliseconds(300))
        await waitFor(tasks, timeout: .milliseconds(300))
        if context.configuration.has(.sigtermNoGateHandoff) {
            logLine("\(context.name): left its gates PENDING (no hand-off before #4236)")
            return
        }
        do {
            let handed = try await context.store.requeueWorkflows(executor: context.name, kinds: [.gate])
            logLine("\(context.name): handed \(handed.count) gate(s) back to the queue")
        } catch {
            logLine("\(context.name): could not hand the gates back: \(error)")
        }
        context.bus.publish(.runsAvailable)
    }
}

/// The worker as a service: dequeues until SIGTERM, then keeps in-flight work running for up to
/// `drainMillis` (the real drain sleep; readiness answers 503 meanwhile) before it hands the
/// gates back.
struct WorkflowService: Service {
    let worker: WorkflowWorker
    let drainMillis: Int64

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await worker.run() }
            try? await gracefulShutdown()
            await worker.beginDrain()
            logLine("\(worker.context.name): draining for at most \(drainMillis) ms")
            await worker.waitForInFlightWork(upTo: .milliseconds(drainMillis))
            await worker.handOff()
            group.cancelAll()
        }
    }
}
