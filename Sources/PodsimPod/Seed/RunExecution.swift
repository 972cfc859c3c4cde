import Foundation
import PodsimModel
import PodsimServer
import PodsimStore

/// One attempt of one run on this pod: provider calls, tool calls, chunk writes, the lease, the
/// terminal write. Every write carries the attempt number, so a pod that lost the run writes
/// nothing more (unless `split-brain-writes` turns fencing off).
struct RunExecution: Sendable {
    let claim: Store.ClaimedRun
    let context: PodContext
    let fenced: Bool
    let worker: RunWorker

    private var store: Store { context.store }
    private var pod: String { context.name }
    private var threadId: String { claim.run.threadId }
    private static let maxSteps = 4

    /// Runs the turn; the lease keeper renews the lease meanwhile and cancels this task when the
    /// lease is lost or a cancel is requested.
    func execute() async {
        var writer = ChunkWriter(execution: self, nextSeq: claim.firstSeq)
        do {
            writer.add(.start(messageId: "msg-\(claim.runId)"))
            var conversation = claim.messages.map { ProviderMessage(role: $0.role, content: $0.text) }
            var sandbox: SandboxHandle?
            for step in 1...Self.maxSteps {
                writer.add(.startStep)
                let textID = "text-\(claim.runId)-\(step)"
                var textOpen = false
                let toolCall = try await context.provider.complete(
                    messages: conversation, threadId: threadId, run: String(claim.runId), attempt: claim.attempt, step: step
                ) { deltas in
                    if !textOpen {
                        writer.add(.textStart(id: textID))
                        textOpen = true
                    }
                    for delta in deltas { writer.add(.textDelta(id: textID, delta: delta)) }
                    try await writer.flush()
                }
                if textOpen { writer.add(.textEnd(id: textID)) }
                guard let toolCall else {
                    writer.add(.finishStep)
                    break
                }
                let input = (try? JSONDecoder().decode(JSONValue.self, from: Data(toolCall.function.arguments.utf8))) ?? .null
                try await writer.emit(.toolInputAvailable(toolCallId: toolCall.id, toolName: toolCall.function.name, input: input))
                let result: String
                do {
                    let output = try await runTool(toolCall.function.name, input: input, sandbox: &sandbox)
                    try await writer.emit(.toolOutputAvailable(toolCallId: toolCall.id, output: output))
                    result = String(decoding: try JSONEncoder().encode(output), as: UTF8.self)
                } catch let error as SandboxError {
                    try await writer.emit(.toolOutputError(toolCallId: toolCall.id, errorText: error.description))
                    result = "error: \(error.description)"
                }
                try await writer.emit(.finishStep)
                conversation.append(ProviderMessage(role: "assistant", content: nil, toolCalls: [toolCall]))
                conversation.append(ProviderMessage(role: "tool", content: result, toolCallId: toolCall.id))
            }
            try await writer.emit(.finish)
            try await finish()
        } catch let error as StoreError {
            logLine("\(pod): fenced: \(error); run \(claim.runId) attempt \(claim.attempt) writes nothing more")
        } catch let error as ProviderError {
            await fail(writer: &writer, message: error.description)
        } catch {
            await stopped(writer: &writer, error: error)
        }
    }

    /// The run was cancelled as a task: find out why and act accordingly.
    private func stopped(writer: inout ChunkWriter, error: any Error) async {
        switch await worker.abortReason(runId: claim.runId) {
        case .cancelled:
            logLine("\(pod): run \(claim.runId) cancelled")
            try? await writer.emit(.abort)
            try? await finish()
        case .draining:
            if context.configuration.has(.drainLosesRuns) {
                logLine("\(pod): BUG drain-loses-runs: exiting without releasing run \(claim.runId)")
            } else {
                try? await store.releaseRun(runId: claim.runId, attempt: claim.attempt, pod: pod)
                logLine("\(pod): released run \(claim.runId) attempt \(claim.attempt) for a survivor")
            }
        case .leaseLost:
            logLine("\(pod): run \(claim.runId) attempt \(claim.attempt) abandoned after losing its lease")
        case nil:
            await fail(writer: &writer, message: "run failed: \(error)")
        }
    }

    private func fail(writer: inout ChunkWriter, message: String) async {
        logLine("\(pod): run \(claim.runId) failed: \(message)")
        do {
            try await writer.emit(.error(errorText: message))
            try await finish()
        } catch {
            logLine("\(pod): could not record the failure of run \(claim.runId): \(error)")
        }
    }

    /// The terminal write: project the attempt's chunk log into parts, once.
    private func finish() async throws {
        let threadId = threadId
        let runId = claim.runId
        let pod = pod
        let projection = try await store.finishRun(runId: runId, attempt: claim.attempt, pod: pod, fenced: fenced) { chunks in
            Projector.project(chunks, threadId: threadId, runId: runId, pod: pod)
        }
        logLine("\(pod): run \(runId) \(projection.state.rawValue)\(projection.error.map { " (\($0))" } ?? "") with \(projection.parts.count) parts")
        if context.configuration.has(.doubleProjection) {
            let store = store
            Task {
                try? await Task.sleep(for: .milliseconds(200))
                try? await store.insertParts(projection.parts)
                logLine("\(pod): BUG double-projection: persisted run \(runId)'s parts again")
            }
        }
    }

    private func runTool(_ name: String, input: JSONValue, sandbox: inout SandboxHandle?) async throws -> JSONValue {
        guard Sandboxes.vmBackedTools.contains(name) else {
            return ["tool": .string(name), "result": "ok"]
        }
        if sandbox == nil {
            let kind = SandboxKind(rawValue: claim.run.providerKind) ?? .remoteUser
            sandbox = try await context.sandboxes.provision(kind: kind, userId: claim.run.userId, threadId: threadId, runId: claim.runId)
            logLine("\(pod): provisioned a \(kind.rawValue) sandbox for run \(claim.runId)")
        }
        return try await context.sandboxes.execute(tool: name, input: input, in: sandbox!)
    }

    /// Appends the run's chunks to the thread's log. Chunks that arrive together (one provider
    /// read, or the end of a step) are written in one fenced transaction and announced with one
    /// signal, with consecutive sequence numbers.
    struct ChunkWriter {
        let execution: RunExecution
        var nextSeq: Int
        private var pending: [UIChunk] = []

        init(execution: RunExecution, nextSeq: Int) {
            self.execution = execution
            self.nextSeq = nextSeq
        }

        /// Queues a chunk for the next `flush`.
        mutating func add(_ chunk: UIChunk) {
            pending.append(chunk)
        }

        mutating func emit(_ chunk: UIChunk) async throws {
            add(chunk)
            try await flush()
        }

        mutating func flush() async throws {
            guard !pending.isEmpty else { return }
            if !pending.contains(.abort) { try Task.checkCancellation() }
            var rows: [Store.NewChunk] = []
            for chunk in pending {
                rows.append(.init(seq: nextSeq + rows.count, body: try chunk.storedBody()))
            }
            let claim = execution.claim
            let watchers = try await execution.store.appendChunks(
                rows, threadId: claim.run.threadId, runId: claim.runId, attempt: claim.attempt, pod: execution.pod,
                fenced: execution.fenced)
            nextSeq += rows.count
            pending.removeAll()
            execution.context.bus.publish(.chunks(threadId: claim.run.threadId), toPods: watchers)
            await Task.yield()
        }
    }
}
