/// One chat completion call as the control API reports it.
struct CallRecord: Sendable, Equatable, Encodable {
    /// 1-based arrival order since start or the last reset.
    var index: Int
    var threadId: String?
    var pod: String?
    /// The text of the last user message.
    var hints: String
    /// Wall-clock epoch milliseconds at which the call arrived.
    var startedAt: Int64
    var kind: CallKind

    private enum CodingKeys: String, CodingKey {
        case index, threadId, pod, hints, startedAt, kind
    }

    /// Absent thread and pod are written as `null`, not left out.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(index, forKey: .index)
        try container.encode(threadId, forKey: .threadId)
        try container.encode(pod, forKey: .pod)
        try container.encode(hints, forKey: .hints)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(kind, forKey: .kind)
    }
}

/// Every call the provider received, so scenarios can check who called, how often and with
/// which hints.
actor CallLog {
    private var records: [CallRecord] = []

    /// Logs a call that just arrived and returns its record.
    func record(
        threadId: String?, pod: String?, hints: String, startedAt: Int64, kind: CallKind
    ) -> CallRecord {
        let record = CallRecord(
            index: records.count + 1, threadId: threadId, pod: pod, hints: hints, startedAt: startedAt, kind: kind)
        records.append(record)
        return record
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
