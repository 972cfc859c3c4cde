import PodsimHistory

/// Builds a hand-written history in time order, handing back each event's index in
/// `History.events` (events are added in `t` order, so the index is the order of `add`).
struct HistoryBuilder {
    var header = HistoryHeader(
        scenario: "pod-death-replay", file: "Scenarios/pod-death-replay.yaml", profile: "seed", pods: 3, bugs: ["resume-without-purge"], fixes: [],
        processes: ["mock-ai", "pod-1", "pod-2", "pod-3"], startedAt: 1_700_000_000_000)
    private(set) var events: [HistoryEvent] = []

    /// `ms`: milliseconds since the cluster started.
    @discardableResult
    mutating func add(_ kind: HistoryKind, ms: Double, _ configure: (inout HistoryEvent) -> Void = { _ in }) -> Int {
        let t = Int64((ms * 1e6).rounded())
        precondition(events.last.map { $0.t <= t } ?? true, "add events in time order")
        var event = HistoryEvent(t: t, wall: header.startedAt + t / 1_000_000, kind: kind)
        configure(&event)
        events.append(event)
        return events.count - 1
    }

    mutating func append(ms: Double, pod: String, thread: String = "T1", run: String, attempt: Int, seq: Int, chunk: String = "text-delta", delta: String? = nil) -> Int {
        add(.chunkAppended, ms: ms) {
            $0.process = pod
            $0.thread = thread
            $0.run = run
            $0.attempt = attempt
            $0.seq = seq
            $0.id = "\(run):\(attempt):\(seq)"
            $0.chunk = chunk
            $0.delta = delta
        }
    }

    mutating func delivery(ms: Double, watcher: String, pod: String, thread: String = "T1", id: String, chunk: String = "text-delta", delta: String? = nil) -> Int {
        add(.delivery, ms: ms) {
            $0.watcher = watcher
            $0.process = pod
            $0.thread = thread
            $0.id = id
            $0.chunk = chunk
            $0.delta = delta
            let parts = id.split(separator: ":")
            if parts.count == 3 {
                $0.run = String(parts[0])
                $0.attempt = Int(parts[1])
                $0.seq = Int(parts[2])
            }
        }
    }

    var history: History { History(header: header, events: events) }
}
