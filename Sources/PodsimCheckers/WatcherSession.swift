import PodsimHistory

/// One attach of a watcher to a thread's stream, until its detach: when it listened and what it
/// was sent. A watcher that attaches again starts a new session (a new stream replays from seq 1).
struct WatcherSession {
    let watcher: String
    let thread: String?
    let attach: Located?
    private(set) var detach: Located?
    private(set) var deliveries: [Located] = []

    /// The pod the stream was opened on.
    var process: String? { attach?.event.process ?? deliveries.first?.event.process }
    /// When the stream's response head arrived.
    var attachedAt: Int64 { attach?.end ?? deliveries.first?.t ?? 0 }
    var detachedAt: Int64? { detach?.t }
    /// Whether a stream was open at all (200, or frames arrived).
    var opened: Bool { attach?.event.status == 200 || !deliveries.isEmpty }
    /// `watcher late (pod-3)`.
    var label: String { "watcher \(watcher) (\(process ?? "?"))" }

    /// Whether the session was still open at `instant` (a history that ends earlier leaves it
    /// open up to `endsAt` only).
    func attached(through instant: Int64, endsAt: Int64) -> Bool {
        (detachedAt ?? endsAt) >= instant
    }

    /// This session's deliveries with a position, by key in first-delivered order; `unplaced`
    /// counts content frames that carry no id and no seq.
    func deliveriesByKey(_ index: HistoryIndex) -> (keys: [AttemptKey], deliveries: [AttemptKey: [Delivered]], unplaced: Int) {
        var keys: [AttemptKey] = []
        var byKey: [AttemptKey: [Delivered]] = [:]
        var unplaced = 0
        for delivery in deliveries {
            var event = delivery.event
            event.thread = event.thread ?? thread
            guard let position = index.position(of: event) else {
                if ChunkTypes.isContent(event.chunk) { unplaced += 1 }
                continue
            }
            if byKey[position.key] == nil { keys.append(position.key) }
            byKey[position.key, default: []].append((delivery, position.seq))
        }
        return (keys, byKey, unplaced)
    }

    /// Every session in the history, in attach order.
    static func all(in index: HistoryIndex) -> [WatcherSession] {
        var sessions: [WatcherSession] = []
        var open: [String: Int] = [:]
        for located in index.history.events.indices.map({ Located(index: $0, event: index.history.events[$0]) }) {
            let event = located.event
            guard let watcher = event.watcher else { continue }
            switch event.kind {
            case .attach:
                open[watcher] = sessions.count
                sessions.append(WatcherSession(watcher: watcher, thread: event.thread, attach: located))
            case .detach:
                guard let current = open.removeValue(forKey: watcher) else { continue }
                sessions[current].detach = located
            case .delivery:
                let current = open[watcher] ?? {
                    open[watcher] = sessions.count
                    sessions.append(WatcherSession(watcher: watcher, thread: event.thread, attach: nil))
                    return sessions.count - 1
                }()
                sessions[current].deliveries.append(located)
            default:
                continue
            }
        }
        return sessions
    }
}
