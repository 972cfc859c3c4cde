import Foundation
import PodsimModel
import PodsimServer
import PodsimStore

/// One gate workflow (`threadGateWorkflow`) executing on this pod: the journaled dispatch step
/// (fence, `in_progress`, `starting-run`), the child's start (not awaited), the capacity
/// heartbeat while the child waits in the queue, and the consume step. The thread's partition
/// slot frees when the gate ends.
struct Gate: Sendable {
    let workflow: Workflow
    let context: PodContext
    let wakeups: SubjectWakeups

    private var store: Store { context.store }
    private var pod: String { context.name }
    private var settings: HostedSettings { context.configuration.hosted }

    /// Runs the gate; a cancelled task (the pod drains) returns without writing anything more.
    func execute() async {
        do {
            guard let dispatch = try await store.dispatchTurn(
                gateId: workflow.id, executor: pod, fence: UUID().uuidString.lowercased(), startingFrame: HostedFrames.stage(.startingRun))
            else {
                logLine("\(pod): gate \(workflow.id) is no longer ours")
                return
            }
            if dispatch.replayed {
                logLine("\(pod): gate \(workflow.id) replayed with fence \(dispatch.fence)")
            } else {
                context.bus.publish(.chunks(threadId: workflow.threadId))
            }
            let childId = Store.WorkflowID.child(threadId: workflow.threadId, fence: dispatch.fence)
            do {
                try await startChild(fence: dispatch.fence)
            } catch let error as ChildStartFailure where context.configuration.has(.swallowedChildStart) {
                logLine("\(pod): gate \(workflow.id) swallowed a failed child start: \(error)")
            }
            let heartbeat = capacityHeartbeat(childId: childId)
            let projector = RunProjector(gate: workflow, fence: dispatch.fence, context: context, wakeups: wakeups)
            let result: Result<Void, any Error>
            do {
                try await pause(millis: settings.projectorStartDelayMillis)
                try await projector.consume()
                try await pause(millis: settings.pauseAfterPurgeMillis)
                result = .success(())
            } catch {
                result = .failure(error)
            }
            heartbeat?.cancel()
            await heartbeat?.value
            switch result {
            case .success:
                try await store.finishWorkflow(id: workflow.id, executor: pod, status: .success)
            case .failure(let error) where error is CancellationError:
                logLine("\(pod): gate \(workflow.id) stopped by the drain")
            case .failure(let error):
                try await store.finishWorkflow(id: workflow.id, executor: pod, status: .error, error: "\(error)")
            }
        } catch is CancellationError {
            logLine("\(pod): gate \(workflow.id) stopped by the drain")
        } catch {
            logLine("\(pod): gate \(workflow.id) failed: \(error)")
            _ = try? await store.finishWorkflow(id: workflow.id, executor: pod, status: .error, error: "\(error)")
        }
        context.bus.publish(.runsAvailable)
    }

    /// `startHostedHarness`: enqueues the turn's child (a `fail-child-start` fault fails it once).
    /// A failure is rethrown, so the gate ends ERROR and the thread's partition frees.
    private func startChild(fence: String) async throws {
        let fault = BusFaultKind.failChildStart.rawValue
        if try await store.activeBusFaults(pod: pod).contains(fault), try await store.takeBusFault(fault, pod: pod) {
            throw ChildStartFailure(description: "startHostedHarness failed: enqueue refused (injected fault)")
        }
        _ = try await store.startChild(of: workflow, fence: fence)
        context.bus.publish(.runsAvailable)
    }

    struct ChildStartFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// A scenario's pause knob (`projectorStartDelay`, `pauseAfterPurge`); none by default.
    private func pause(millis: Int64) async throws {
        guard millis > 0 else { return }
        try await Task.sleep(for: .milliseconds(millis))
    }

    /// `heartbeatWhileQueued`: a `waiting-capacity` frame every beat while the child is
    /// ENQUEUED, the first one beat after the consume step starts; it stops at the first beat
    /// that finds the child not ENQUEUED (a failed read counts as queued). Before #5411 a
    /// waiting run published nothing (the `silent-parked-run` switch).
    private func capacityHeartbeat(childId: String) -> Task<Void, Never>? {
        if context.configuration.has(.silentParkedRun) { return nil }
        let beat = Duration.milliseconds(context.configuration.hosted.capacityBeatMillis)
        let context = context
        let threadId = workflow.threadId
        return Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: beat)
                if Task.isCancelled { return }
                let status: WorkflowStatus?
                do {
                    status = try await context.store.workflow(id: childId)?.status
                } catch {
                    status = .enqueued
                }
                guard status == .enqueued else { return }
                try? await context.publish(stage: .waitingCapacity, threadId: threadId)
            }
        }
    }
}
