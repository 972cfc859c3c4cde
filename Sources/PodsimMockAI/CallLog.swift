import PodsimModel

/// One chat completion call as the control API reports it (`MockAIControl.Call`).
struct CallRecord: Sendable, Equatable, Encodable {
    /// 1-based arrival order since start or the last reset.
    var index: Int
    var threadId: String?
    var pod: String?
    var run: String?
    var attempt: Int?
    var step: Int?
    /// The text of the last user message.
    var hints: String
    /// Wall-clock epoch milliseconds at which the call arrived.
    var startedAt: Int64
    /// Monotonic nanoseconds at which the call arrived.
    var startedNanos: Int64
    /// Monotonic nanoseconds at which the response body finished or failed; nil while it streams.
    var endedNanos: Int64?
    /// The HTTP status the call was answered with.
    var status: Int
    var kind: CallKind

    private enum CodingKeys: String, CodingKey {
        case index, threadId, pod, run, attempt, step, hints, startedAt, startedNanos, endedNanos, status, kind
    }

    /// Absent values are written as `null`, not left out.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(index, forKey: .index)
        try container.encode(threadId, forKey: .threadId)
        try container.encode(pod, forKey: .pod)
        try container.encode(run, forKey: .run)
        try container.encode(attempt, forKey: .attempt)
        try container.encode(step, forKey: .step)
        try container.encode(hints, forKey: .hints)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(startedNanos, forKey: .startedNanos)
        try container.encode(endedNanos, forKey: .endedNanos)
        try container.encode(status, forKey: .status)
        try container.encode(kind, forKey: .kind)
    }
}

/// Every call the provider received, so scenarios can check who called, how often and with
/// which hints, and a run's history can show when each call started and ended.
actor CallLog {
    private var records: [CallRecord] = []

    /// Logs a call that just arrived and returns its record.
    func record(_ request: ChatRequest, startedAt: Int64, startedNanos: Int64, status: Int, kind: CallKind) -> CallRecord {
        let record = CallRecord(
            index: records.count + 1, threadId: request.threadId, pod: request.pod, run: request.run, attempt: request.attempt,
            step: request.step, hints: request.lastUserText, startedAt: startedAt, startedNanos: startedNanos, status: status, kind: kind)
        records.append(record)
        return record
    }

    /// Notes that the response to call `index` ended (a reset since then forgets it).
    func ended(index: Int, at nanos: Int64) {
        guard records.indices.contains(index - 1), records[index - 1].endedNanos == nil else { return }
        records[index - 1].endedNanos = nanos
    }

    /// The calls in arrival order, only those of `thread` when given.
    func calls(thread: String?) -> [CallRecord] {
        guard let thread else { return records }
        return records.filter { $0.threadId == thread }
    }

    func reset() {
        records.removeAll()
    }
}
