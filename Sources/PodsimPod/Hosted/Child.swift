import Foundation
import PodsimModel
import PodsimServer
import PodsimStore

/// One child workflow (`hostedHarnessWorkflow` → `runHostedHarness`) executing on this pod: the
/// agent loop of one turn, published chunk by chunk on the thread's subject under the turn's
/// fence. It writes the thread only through the reactor's writes (RUN_STARTED, RUN_FAILED); the
/// gate's projector settles a clean run.
struct Child: Sendable {
    let workflow: Workflow
    let fence: String
    let context: PodContext
    let runs: HostedRuns

    private var store: Store { context.store }
    private var pod: String { context.name }
    private var threadId: String { workflow.threadId }
    private static let maxSteps = 4

    /// The assistant message a turn's reply is projected into (deterministic per turn).
    static func assistantMessageID(fence: String) -> String { "asst-\(fence)" }

    func execute() async {
        let writer = FencedWriter(
            context: context, threadId: threadId, fence: fence,
            attempt: context.configuration.fixes(.dedupAfterPurge) ? workflow.recoveries : nil)
        var heartbeat: Task<Void, Never>?
        do {
            let messages = try await prepareRun()
            heartbeat = livenessHeartbeat(writer)
            try await runAgent(messages: messages, writer: writer)
            await stop(heartbeat)
            try await writer.done()
            logLine("\(pod): child \(workflow.id) finished at seq \(await writer.lastAckedSeq)")
            await releaseClaim()
            if context.configuration.has(.projectionSkippedWhenTerminal) {
                // Before #4196 the reactor's FINISH wrote the terminal status itself.
                try await store.settleRun(threadId: threadId, status: .completed)
            }
            try await store.finishWorkflow(id: workflow.id, executor: pod, status: .success)
        } catch {
            await stop(heartbeat)
            await stopped(by: error, writer: writer)
        }
    }

    /// prepareRun: stages 0–1, RUN_STARTED, the purge (completed before the mirror), the user
    /// mirror and stage 2. Returns the conversation.
    private func prepareRun() async throws -> [ChatMessage] {
        try await context.publish(stage: .gatheringContext, threadId: threadId)
        try await context.publish(stage: .preparingTools, threadId: threadId)
        try Task.checkCancellation()
        try await store.markRunStarted(threadId: threadId, clearsProgress: !context.configuration.has(.staleProgressReap))
        if context.configuration.has(.ownerClaimCas), let holder = try await store.claimRunOwner(threadId: threadId, pod: pod) {
            throw RunClaimError(description: "RunClaimError: run \(threadId) is already running on another pod (\(holder))")
        }
        try await store.purgeSubject(threadId: threadId)
        let messages = try await store.turnMessages(threadId: threadId, upTo: workflow.messageId)
        let text = messages.last { $0.id == workflow.messageId }?.text ?? ""
        try await context.publish([SubjectPublish(body: HostedFrames.userMessage(id: workflow.messageId, text: text))], threadId: threadId)
        try await context.publish(stage: .startingAssistant, threadId: threadId)
        return messages
    }

    /// The agent loop: provider steps with simple in-pod tools (no sandboxes in hosted). Like
    /// the AI SDK's stream, `start` goes out with the model's first output, so a model that is
    /// slow to answer leaves the turn without a fenced chunk (audit K: a liveness beat can come first).
    private func runAgent(messages: [ChatMessage], writer: FencedWriter) async throws {
        try await context.publish(stage: .analyzingScope, threadId: threadId)
        var conversation = messages.map { ProviderMessage(role: $0.role, content: $0.text) }
        for step in 1...Self.maxSteps {
            let textID = "text-\(fence)-\(step)"
            var pending: [UIChunk] = (step == 1 ? [.start(messageId: Self.assistantMessageID(fence: fence))] : []) + [.startStep]
            var textOpen = false
            let toolCall = try await context.provider.complete(
                messages: conversation, threadId: threadId, run: fence, attempt: 1 + workflow.recoveries, step: step
            ) { deltas in
                if !textOpen {
                    pending.append(.textStart(id: textID))
                    textOpen = true
                }
                pending += deltas.map { .textDelta(id: textID, delta: $0) }
                try Task.checkCancellation()
                try await writer.emit(pending)
                pending = []
            }
            if textOpen { pending.append(.textEnd(id: textID)) }
            guard let toolCall else {
                try await writer.emit(pending + [.finishStep])
                break
            }
            let input = (try? JSONDecoder().decode(JSONValue.self, from: Data(toolCall.function.arguments.utf8))) ?? .null
            let output: JSONValue = ["tool": .string(toolCall.function.name), "result": "ok"]
            try await writer.emit(pending + [
                .toolInputAvailable(toolCallId: toolCall.id, toolName: toolCall.function.name, input: input),
                .toolOutputAvailable(toolCallId: toolCall.id, output: output), .finishStep,
            ])
            conversation.append(ProviderMessage(role: "assistant", content: nil, toolCalls: [toolCall]))
            conversation.append(ProviderMessage(role: "tool", content: String(decoding: try JSONEncoder().encode(output), as: UTF8.self), toolCallId: toolCall.id))
        }
        try Task.checkCancellation()
        try await writer.emit([.finish])
    }

    /// `withLivenessHeartbeat`: a `data-liveness` chunk whenever the model is silent for a beat
    /// (none before #4409: the `no-liveness-heartbeat` switch).
    private func livenessHeartbeat(_ writer: FencedWriter) -> Task<Void, Never>? {
        if context.configuration.has(.noLivenessHeartbeat) { return nil }
        let beat = Duration.milliseconds(context.configuration.hosted.livenessBeatMillis)
        return Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: beat / 4)
                if Task.isCancelled { return }
                try? await writer.beatIfSilent(for: beat)
            }
        }
    }

    private func stop(_ heartbeat: Task<Void, Never>?) async {
        heartbeat?.cancel()
        await heartbeat?.value
    }

    /// The child ended early: a cancel, the reaper, a newer child, the drain, or a failure.
    private func stopped(by error: any Error, writer: FencedWriter) async {
        switch await runs.abortReason(threadId: threadId, fence: fence) {
        case .cancelled:
            logLine("\(pod): child \(workflow.id) cancelled")
            await runFailed(FailureClassifier.cancelled)
            await endStream(with: .abort, writer: writer)
        case .reaped:
            logLine("\(pod): child \(workflow.id) reaped")
            await endStream(with: .abort, writer: writer)
        case .evicted, .superseded:
            logLine("\(pod): child \(workflow.id) stopped: its turn is over")
            _ = try? await store.finishWorkflow(id: workflow.id, executor: pod, status: .success)
        case .draining:
            logLine("\(pod): child \(workflow.id) left PENDING for recovery")
        case nil:
            await fail(errorText: Self.errorText(error), writer: writer)
        }
    }

    /// RUN_FAILED with the classifier's record, then `publishHostedHarnessFailure`: the error at
    /// the last acknowledged seq + 1 and the done marker.
    private func fail(errorText: String, writer: FencedWriter) async {
        let failure = FailureClassifier.classify(errorText, configuration: context.configuration)
        logLine("\(pod): child \(workflow.id) failed (\(failure.kind)): \(errorText)")
        await runFailed(failure)
        await endStream(with: .error(errorText: errorText), writer: writer)
    }

    /// The reactor's RUN_FAILED: the classified failure record, guarded; before #4337 it also
    /// purged the subject, beheading the log the projector had not read yet.
    private func runFailed(_ failure: FailureClassifier.Failure) async {
        _ = try? await store.markRunFailed(threadId: threadId, kind: failure.kind, reason: failure.reason)
        if context.configuration.has(.purgeOnRunFailed) {
            _ = try? await store.purgeSubject(threadId: threadId)
            logLine("\(pod): child \(workflow.id) purged the subject on RUN_FAILED")
        }
    }

    private func endStream(with chunk: UIChunk, writer: FencedWriter) async {
        do {
            try await writer.emit([chunk])
            try await writer.done()
        } catch {
            logLine("\(pod): child \(workflow.id) could not publish its terminal: \(error)")
        }
        await releaseClaim()
        _ = try? await store.finishWorkflow(id: workflow.id, executor: pod, status: .success)
    }

    /// Before #3917 a recovered run had to claim the thread's owner column first.
    struct RunClaimError: Error, CustomStringConvertible {
        let description: String
    }

    /// Gives the pre-#3917 claim back at the run's end (only `owner-claim-cas` takes one).
    private func releaseClaim() async {
        guard context.configuration.has(.ownerClaimCas) else { return }
        _ = try? await store.releaseRunOwner(threadId: threadId, pod: pod)
    }

    /// The text a failed provider call reports in-band (as the AI SDK words it).
    static func errorText(_ error: any Error) -> String {
        switch error {
        case ProviderError.status(let code, let body): "provider returned \(code): \(body)"
        case let error as ProviderError: error.description
        default: "\(error)"
        }
    }
}
