import PodsimHistory

/// `delivery`: each watcher receives every attempt it sees whole, once, in order, from seq 1.
public struct DeliveryChecker: Checker {
    public let name = CheckerName.delivery
    /// How long after an attempt's last chunk a watcher attached from its start must still be
    /// attached for the missed-attempt rule to expect its chunks.
    static let missedAttemptGrace: Int64 = 1_000_000_000

    public init() {}

    public func property(profile: String) -> String {
        profile == "hosted"
            ? "Under the hosted rules (a per-turn fence, one chunk log per thread purged at dispatch and at terminals, a recovery restarting at seq 1 under the same fence, run-status stage, mirror and liveness data-* frames not content), on every watcher stream the seqs delivered for a fence (for a fence and attempt when ids carry a recovery tag) start at 1 and rise by exactly 1 with none twice, a restart at seq 1 being allowed only when a recovery (run-reclaimed) of the fence lies between the two deliveries and then starting an epoch under the same rules (so a late watcher that misses chunk-1..K after a recovery, the open dedup-after-purge bug, fails), and a watcher attached before a fence's first chunk and still attached 1 s after its last received some of its content chunks."
            : "Under the seed rules (attempt-scoped chunk logs, a survivor reclaiming a dead owner's run as a new attempt that restarts at seq 1, a watcher that attaches while the thread is in_progress getting the current attempt replayed), on every watcher stream the seqs delivered for a run attempt start at 1 and rise by exactly 1 with none twice, a stream opened after a later attempt was claimed gets no chunk of a superseded attempt, and a watcher attached before an attempt's first chunk and still attached 1 s after its last received some of its content chunks."
    }

    public func check(_ history: History, bounds: CheckerBounds) -> Verdict {
        let index = HistoryIndex(history)
        var findings = Findings()
        let sessions = WatcherSession.all(in: index).map { (session: $0, placed: $0.deliveriesByKey(index)) }
        for (session, placed) in sessions {
            if placed.unplaced > 0 { findings.cannotJudge("\(session.label) received \(placed.unplaced) content frames without an id or seq") }
            for key in placed.keys {
                checkSequence(placed.deliveries[key]!, of: key, session: session, index: index, findings: &findings)
                if !index.hosted { checkSuperseded(placed.deliveries[key]!, of: key, session: session, index: index, findings: &findings) }
            }
        }
        checkMissedAttempts(sessions.map { ($0.session, $0.placed.deliveries) }, index: index, findings: &findings)
        return findings.verdict(of: self, profile: history.header.profile)
    }

    /// Within each epoch: first seq 1, then each seq the previous + 1. Reports the first anomaly
    /// of the session's key, with how many more followed.
    private func checkSequence(
        _ deliveries: [Delivered], of key: AttemptKey, session: WatcherSession, index: HistoryIndex,
        findings: inout Findings
    ) {
        var anomalies: [(message: String, events: [Located])] = []
        for epoch in index.epochs(deliveries, of: key) {
            var firstAt: [Int: Located] = [:]
            var last: Delivered?
            for (delivery, seq) in epoch {
                defer { firstAt[seq] = firstAt[seq] ?? delivery }
                guard let previous = last else {
                    if seq != 1 {
                        anomalies.append(("first delivered seq \(seq) at \(millis(delivery.t)), not 1 (seqs 1–\(seq - 1) never delivered)", [delivery]))
                    }
                    last = (delivery, seq)
                    continue
                }
                if seq == previous.seq + 1 {
                    last = (delivery, seq)
                } else if let first = firstAt[seq] {
                    anomalies.append(("seq \(seq) delivered twice, at \(millis(first.t)) and again at \(millis(delivery.t))", [first, delivery]))
                } else if seq < previous.seq {
                    anomalies.append(("seq went back from \(previous.seq) at \(millis(previous.delivery.t)) to \(seq) at \(millis(delivery.t))", [previous.delivery, delivery]))
                } else {
                    anomalies.append(("gap: seq \(previous.seq) at \(millis(previous.delivery.t)) then seq \(seq) at \(millis(delivery.t)) (missing \(previous.seq + 1)–\(seq - 1))", [previous.delivery, delivery]))
                    last = (delivery, seq)
                }
            }
        }
        guard let first = anomalies.first else { return }
        let more = anomalies.count > 1 ? " (and \(anomalies.count - 1) more anomalies)" : ""
        findings.violate("\(session.label), thread \(key.thread) \(key): \(first.message)\(more)", [session.attach].compactMap { $0 } + first.events)
    }

    /// Seed: a stream opened after a later attempt was claimed replays only that attempt (the
    /// reclaim purges the dead one), so it must not receive the superseded attempt's chunks.
    private func checkSuperseded(
        _ deliveries: [Delivered], of key: AttemptKey, session: WatcherSession, index: HistoryIndex,
        findings: inout Findings
    ) {
        guard let attempt = key.attempt, let attach = session.attach else { return }
        guard let later = index.claims.first(where: {
            $0.event.run == key.run && ($0.event.attempt ?? 0) > attempt && $0.t < attach.t
        }) else { return }
        let first = deliveries[0].delivery
        findings.violate(
            "\(session.label) attached at \(millis(attach.t)), after run \(key.run) attempt \(later.event.attempt ?? 0) was claimed on \(HistoryIndex.pod(later.event)) at \(millis(later.t)), yet received \(deliveries.count) chunks of the superseded attempt \(attempt) (first: seq \(deliveries[0].seq) at \(millis(first.t)))",
            [attach, later, first])
    }

    /// A watcher attached before an attempt's first chunk was appended, and still attached a
    /// second after its last one, received at least one of its content chunks.
    private func checkMissedAttempts(
        _ sessions: [(session: WatcherSession, deliveries: [AttemptKey: [Delivered]])], index: HistoryIndex,
        findings: inout Findings
    ) {
        let (keys, appends) = index.appendsByKey()
        for key in keys {
            let chunks = appends[key]!
            guard chunks.contains(where: { ChunkTypes.isContent($0.append.event.chunk) }) else { continue }
            let first = chunks.map(\.append).min { $0.t < $1.t }!
            let last = chunks.map(\.append).max { $0.t < $1.t }!
            let until = last.t + Self.missedAttemptGrace
            for (session, deliveries) in sessions where session.thread == key.thread && session.opened && session.attachedAt <= first.t {
                guard session.attached(through: until, endsAt: index.endsAt) else { continue }
                let received = deliveries[key] ?? []
                guard !received.contains(where: { ChunkTypes.isContent($0.delivery.event.chunk) }) else { continue }
                findings.violate(
                    "\(session.label) was attached from \(millis(session.attachedAt)) through \(millis(until)) but received none of thread \(key.thread) \(key)'s content chunks (appended \(millis(first.t))–\(millis(last.t)))",
                    [session.attach, first, last, session.detach].compactMap { $0 })
            }
        }
    }
}
