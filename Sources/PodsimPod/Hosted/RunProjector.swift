import Foundation
import PodsimModel
import PodsimServer
import PodsimStore

/// The gate's consume step (`consumeRunProjection`): tails the thread's subject from its first
/// stored message, keeps the turn's fenced chunks in seq order, writes the reply's parts at each
/// step end and at the finish, and settles the run. It is the only writer of `completed`.
struct RunProjector: Sendable {
    let gate: Workflow
    let fence: String
    let context: PodContext
    let wakeups: SubjectWakeups

    private var store: Store { context.store }
    private var threadId: String { gate.threadId }
    private var settings: HostedSettings { context.configuration.hosted }
    private var assistantMessageID: String { Child.assistantMessageID(fence: fence) }
    /// `synthesizedErrorMessageId(threadId, fence)`.
    private var errorMessageID: String { "error-\(fence)" }

    /// Why the tail stopped short of a clean fenced done.
    enum StreamFailure: Error, Equatable {
        /// `StreamGapError`.
        case gap(String)
        /// `StreamIdleTimeoutError`.
        case idle
    }

    /// A liveness failure the gate rethrows (the gate ends ERROR).
    struct LivenessFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs the step. Returns normally for every settled outcome; throws `LivenessFailure` when
    /// the stream went silent on an unsettled run, any other failure of the tail after failing
    /// the run `projection`, and `CancellationError` when the pod drains.
    /// A DBOS cancel of the gate does not stop the step (it runs to its end, as in DBOS); a turn
    /// superseded meanwhile is left alone, since its purge would behead the newer turn's log.
    func consume() async throws {
        guard let thread = try await store.thread(id: threadId), thread.hosted.fence == fence else {
            logLine("\(context.name): gate \(gate.id) superseded; nothing to project")
            return
        }
        if context.configuration.has(.projectionSkippedWhenTerminal), thread.status != .inProgress {
            logLine("\(context.name): gate \(gate.id) found the run \(thread.status.rawValue); nothing to project")
            return
        }
        var projection = Projection(
            threadId: threadId, messageId: assistantMessageID, pod: context.name,
            attempt: context.configuration.has(.nondeterministicPartIds) ? UUID().uuidString.lowercased() : nil)
        projection.base = (try await store.lastPartCreatedAt(threadId: threadId, messageId: gate.messageId) ?? 0) + 1
        let outcome: Result<Void, StreamFailure>
        do {
            try await tail(into: &projection)
            outcome = .success(())
        } catch let failure as StreamFailure {
            outcome = .failure(failure)
        } catch let error where !(error is CancellationError) {
            _ = try? await store.markRunFailed(threadId: threadId, kind: "projection", reason: "\(error)")
            throw error
        }
        guard try await store.thread(id: threadId)?.hosted.fence == fence else {
            logLine("\(context.name): gate \(gate.id) superseded by a newer turn; the projection ends without writes")
            return
        }
        try await settle(outcome, projection: projection)
    }

    /// Reads until the fenced done, applying each chunk; throws the first gap or the idle timeout.
    private func tail(into projection: inout Projection) async throws {
        do {
            try await context.openConsumer()
        } catch BusError.unavailable {
            throw BusFailure(description: "JetStream unavailable for consume step")
        } catch let error as BusError {
            throw BusFailure(description: "consumer create failed: \(error)")
        }
        let (wakeupID, bell) = await wakeups.add(threadId: threadId)
        defer { Task { [wakeups, threadId] in await wakeups.remove(threadId: threadId, id: wakeupID) } }
        let idleTimeout = Duration.milliseconds(settings.idleTimeoutMillis)
        // Change signals wake the tail; the poll only covers a lost datagram.
        let poll = Duration.milliseconds(max(context.configuration.timings.pollMillis * 4, 20))
        var cursor = try await store.subjectPurgePoint(threadId: threadId)
        var nextSeq = 1
        var lastSeq = 0
        var idleDeadline = ContinuousClock.now + idleTimeout
        var lastBump: ContinuousClock.Instant?
        while true {
            try Task.checkCancellation()
            let messages = try await store.subjectMessages(threadId: threadId, afterID: cursor)
            if messages.isEmpty {
                let remaining = idleDeadline - ContinuousClock.now
                if remaining <= .zero { throw StreamFailure.idle }
                await bell.wait(upTo: min(poll, remaining))
                continue
            }
            for message in messages {
                cursor = message.id
                idleDeadline = ContinuousClock.now + idleTimeout
                switch HostedFrames.parse(msgId: message.msgId, threadId: threadId, fence: fence) {
                case nil:
                    continue
                case .done(let finalSeq):
                    guard HostedFrames.finalSeq(ofDoneBody: message.body) == finalSeq else { continue }
                    if finalSeq != lastSeq { throw StreamFailure.gap("missing seq \(lastSeq + 1) (stream ended at the fenced done)") }
                    return
                case .chunk(let seq):
                    if seq < nextSeq { continue }
                    if seq > nextSeq { throw StreamFailure.gap("missing seq \(nextSeq) (next delivered is \(seq))") }
                    nextSeq += 1
                    lastSeq = seq
                    if lastBump.map({ ContinuousClock.now - $0 >= .milliseconds(settings.progressThrottleMillis) }) ?? true {
                        lastBump = .now
                        try await store.bumpProgress(threadId: threadId)
                    }
                    if let stepParts = projection.apply(body: message.body) {
                        try await store.appendKeyedParts(stepParts)
                    }
                }
            }
        }
    }

    /// "Settled for this fence": the turn's run already has its terminal status.
    private func settled() async throws -> Bool {
        guard let thread = try await store.thread(id: threadId) else { return true }
        return thread.hosted.fence == fence && thread.status != .inProgress
    }

    private func settle(_ outcome: Result<Void, StreamFailure>, projection: Projection) async throws {
        let name = context.name
        // Before #5039 a gap or an idle tail was fatal even on a settled run, and its write was unguarded.
        let fatalAfterSettle = context.configuration.has(.gapAfterDoneFatal)
        switch outcome {
        case .success where projection.finished:
            try await store.replaceMessageParts(threadId: threadId, messageId: assistantMessageID, with: projection.finalParts())
            let settledNow = try await store.settleRun(threadId: threadId, status: .completed)
            try await store.purgeSubject(threadId: threadId)
            logLine("\(name): projected \(threadId) fence \(fence): completed\(settledNow ? "" : " (already settled)")")
        case .success:
            try await store.markRunFailed(threadId: threadId, kind: "harness", reason: "harness reported an error")
            try await writeSynthesizedError(projection.errorText ?? "harness reported an error")
            try await store.purgeSubject(threadId: threadId)
            logLine("\(name): projected \(threadId) fence \(fence): the harness reported an error")
        case .failure(let failure):
            if !fatalAfterSettle, try await settled() {
                try await store.deleteMessageParts(threadId: threadId, messageId: errorMessageID)
                try await store.purgeSubject(threadId: threadId)
                logLine("\(name): projected \(threadId) fence \(fence): \(failure) after the run settled (benign)")
                return
            }
            switch failure {
            case .gap(let gap):
                try await store.markRunFailed(
                    threadId: threadId, kind: "projection", reason: "stream truncated before projection could replay it: \(gap)",
                    onlyInProgress: !fatalAfterSettle)
                try await writeSynthesizedError("Error: \(gap)")
                try await store.purgeSubject(threadId: threadId)
                logLine("\(name): projected \(threadId) fence \(fence): failed (projection: \(gap))")
            case .idle:
                let reason = "liveness: no stream events for \(Self.idleText(millis: settings.idleTimeoutMillis))"
                try await store.markRunFailed(threadId: threadId, kind: "liveness", reason: reason, onlyInProgress: !fatalAfterSettle)
                try await store.deleteMessageParts(threadId: threadId, messageId: errorMessageID)
                logLine("\(name): projected \(threadId) fence \(fence): failed (\(reason))")
                throw LivenessFailure(description: reason)
            }
        }
    }

    private func writeSynthesizedError(_ text: String) async throws {
        let body = String(decoding: try JSONEncoder().encode(["errorText": text]), as: UTF8.self)
        try await store.replaceMessageParts(threadId: threadId, messageId: errorMessageID, with: [
            MessagePart(
                threadId: threadId, runId: nil, role: "assistant", type: "error", body: body, pod: context.name, createdAt: 0,
                key: "\(threadId):\(errorMessageID):0", messageId: errorMessageID)
        ])
    }

    /// `round(ms/60000)` minutes, as the real reason prints it; under a minute podsim prints
    /// whole seconds instead (`6s`), since scaled timeouts would all read `0m`.
    static func idleText(millis: Int64) -> String {
        millis < 60_000 ? "\(Int((Double(millis) / 1000).rounded()))s" : "\(Int((Double(millis) / 60_000).rounded()))m"
    }
}

/// The assistant message being accumulated from a turn's chunks: parts of finished steps, the
/// step in progress, and the terminal seen.
struct Projection: Sendable {
    let threadId: String
    let messageId: String
    let pod: String
    /// Set only under `nondeterministic-part-ids`: before #4570 a part's id carried the
    /// projection attempt, so a re-projection inserted its step parts again.
    let attempt: String?
    /// `createdAt` of part 0 (the user message's last part + 1 ms); part n gets `base + n`.
    var base: Int64 = 1
    private(set) var parts: [MessagePart] = []
    private var stepParts: [MessagePart] = []
    private var content = AssistantContent()
    private(set) var finished = false
    private(set) var errorText: String?

    init(threadId: String, messageId: String, pod: String, attempt: String? = nil) {
        self.threadId = threadId
        self.messageId = messageId
        self.pod = pod
        self.attempt = attempt
    }

    /// Applies one fenced chunk; returns the step's parts at a `finish-step`.
    mutating func apply(body: String) -> [MessagePart]? {
        guard let chunk = try? UIChunk(storedBody: body) else { return nil }
        switch chunk {
        case .finishStep:
            flushOpenText()
            let step = stepParts
            parts += step
            stepParts = []
            return step
        case .finish:
            flushOpenText()
            parts += stepParts
            stepParts = []
            finished = true
        case .error(let text):
            errorText = text
        case .abort:
            errorText = errorText ?? "Run cancelled before it finished"
        default:
            if let piece = content.apply(chunk) { add(piece) }
        }
        return nil
    }

    /// Every part plus the `finish` anchor (the terminal replace).
    func finalParts() -> [MessagePart] {
        parts + [part(index: parts.count, type: "finish", body: "{}")]
    }

    private mutating func flushOpenText() {
        for piece in content.closeOpenText() { add(piece) }
    }

    private mutating func add(_ piece: AssistantContent.Piece) {
        let encoded = (try? JSONEncoder().encode(piece.body)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        stepParts.append(part(index: parts.count + stepParts.count, type: piece.type, body: encoded))
    }

    private func part(index: Int, type: String, body: String) -> MessagePart {
        MessagePart(
            threadId: threadId, runId: nil, role: "assistant", type: type, body: body, pod: pod, createdAt: base + Int64(index),
            key: attempt.map { "\(threadId):\(messageId):\($0):\(index)" } ?? "\(threadId):\(messageId):\(index)", messageId: messageId)
    }
}
