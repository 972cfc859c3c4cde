import PodsimModel
import PodsimStore

extension PodContext {
    /// Publishes on a thread's subject through the duplicate window and wakes every pod's readers.
    /// A transient bus error is retried (#6597), which the msgIds make safe; a final failure throws
    /// `publishRawChunk failed`.
    @discardableResult
    func publish(_ messages: [SubjectPublish], threadId: String) async throws -> [Bool] {
        let stored: [Bool]
        do {
            stored = try await withBusRetry(attempts: configuration.has(.publishNoRetry) ? 1 : Self.busAttempts) {
                if configuration.has(.streamReplicas3) { throw BusError.unavailable }
                return try await store.publish(messages, threadId: threadId, pod: name, dedupWindowMillis: configuration.hosted.dedupWindowMillis)
            }
        } catch let error as BusError {
            throw BusFailure(description: "publishRawChunk failed: \(error)")
        }
        bus.publish(.chunks(threadId: threadId))
        return stored
    }

    /// Publishes one unfenced stage frame.
    func publish(stage: HostedFrames.Stage, threadId: String) async throws {
        try await publish([SubjectPublish(body: HostedFrames.stage(stage))], threadId: threadId)
    }
}

/// The child's ingest: gives every chunk of one fence the next seq and publishes it with the
/// msgId `<threadId>:<fence>:<seq>`, strictly in seq order even when the liveness heartbeat and
/// the model write at once. A duplicate the window drops counts as published (the #23 trap).
actor FencedWriter {
    private let context: PodContext
    let threadId: String
    let fence: String
    /// The recovery attempt the ids carry (the `dedup-after-purge` candidate fix); nil: the real server's ids.
    let attempt: Int?
    /// The last seq handed out.
    private var lastSeq = 0
    /// The last seq whose publish was acknowledged (`lastAckSeq`): the failure terminal follows it.
    private(set) var lastAckedSeq = 0
    /// When the model last produced a chunk (the liveness heartbeat's silence baseline).
    private(set) var lastChunkAt = ContinuousClock.now
    private var tail: Task<Void, any Error>?

    init(context: PodContext, threadId: String, fence: String, attempt: Int? = nil) {
        self.context = context
        self.threadId = threadId
        self.fence = fence
        self.attempt = attempt
    }

    /// Publishes chunks in order; the whole batch gets consecutive seqs.
    func emit(_ chunks: [UIChunk]) async throws {
        try await emit(bodies: chunks.map { try $0.storedBody() })
        lastChunkAt = .now
    }

    /// A `data-liveness` chunk if the model has been silent for `silence`.
    func beatIfSilent(for silence: Duration) async throws {
        guard ContinuousClock.now - lastChunkAt >= silence else { return }
        lastChunkAt = .now
        try await emit(bodies: [HostedFrames.liveness(at: wallClockMillis())])
    }

    /// The done marker after the last acknowledged seq, when at least one chunk was acknowledged.
    func done() async throws {
        guard lastAckedSeq >= 1 else { return }
        let finalSeq = lastAckedSeq
        try await enqueue([
            SubjectPublish(msgId: HostedFrames.doneID(threadId: threadId, fence: fence, attempt: attempt, finalSeq: finalSeq), fence: fence, body: HostedFrames.done(finalSeq: finalSeq))
        ])
    }

    private func emit(bodies: [String]) async throws {
        guard !bodies.isEmpty else { return }
        let first = lastSeq + 1
        lastSeq += bodies.count
        try await enqueue(bodies.enumerated().map { offset, body in
            let seq = first + offset
            return SubjectPublish(msgId: HostedFrames.chunkID(threadId: threadId, fence: fence, attempt: attempt, seq: seq), fence: fence, seq: seq, body: body)
        })
    }

    /// Chains the publish after the previous one, so commits land in seq order. A failed publish
    /// fails the ones queued behind it and hands their seqs back, so the failure terminal lands
    /// right after the last acknowledged chunk.
    private func enqueue(_ messages: [SubjectPublish]) async throws {
        let previous = tail
        let context = context
        let threadId = threadId
        let task = Task {
            try await previous?.value
            try await context.publish(messages, threadId: threadId)
        }
        tail = task
        do {
            try await task.value
            lastAckedSeq = max(lastAckedSeq, messages.compactMap(\.seq).max() ?? 0)
        } catch {
            lastSeq = lastAckedSeq
            if tail == task { tail = nil }
            throw error
        }
    }
}
