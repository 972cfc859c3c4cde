import PodsimHistory

/// `fencing`: once a later attempt of a run is claimed, the earlier attempts append nothing.
public struct FencingChecker: Checker {
    public let name = CheckerName.fencing

    public init() {}

    public func property(profile: String) -> String {
        profile == "hosted"
            ? "No chunk-appended of a turn fence's attempt a (the journal's attempt, 1 + the child's recoveries) is later than a run-claimed, run-reclaimed or child workflow-started of the same fence with an attempt above a."
            : "No chunk-appended of a run's attempt a is later than a run-claimed or run-reclaimed of the same run with an attempt above a (a paused or dead owner writes nothing after losing its lease)."
    }

    public func check(_ history: History, bounds: CheckerBounds) -> Verdict {
        let index = HistoryIndex(history)
        var findings = Findings()
        struct Stale: Hashable { let thread: String, run: String, attempt: Int, successor: Int }
        var order: [Stale] = []
        var late: [Stale: [Located]] = [:]
        var unplaced = 0
        for append in index.events(.chunkAppended) {
            let event = append.event
            guard let run = event.run, let attempt = event.attempt else {
                unplaced += 1
                continue
            }
            guard let successor = index.claims.first(where: {
                $0.event.run == run && $0.event.thread == event.thread && ($0.event.attempt ?? 0) > attempt && $0.t < append.t
            }) else { continue }
            let stale = Stale(thread: event.thread ?? "?", run: run, attempt: attempt, successor: successor.index)
            if late[stale] == nil { order.append(stale) }
            late[stale, default: []].append(append)
        }
        if unplaced > 0 { findings.cannotJudge("\(unplaced) chunk-appended events lack their run or attempt") }
        for stale in order {
            let appends = late[stale]!
            let successor = index.history.events[stale.successor]
            let first = appends[0]
            findings.violate(
                "thread \(stale.thread) run \(stale.run): attempt \(stale.attempt) appended \(appends.count) chunks after attempt \(successor.attempt ?? 0) was claimed on \(HistoryIndex.pod(successor)) at \(millis(successor.t)), the first (\(HistoryIndex.describeChunk(seq: first.event.seq, first.event))) on \(HistoryIndex.pod(first.event)) at \(millis(first.t))",
                [Located(index: stale.successor, event: successor), first] + (appends.count > 1 ? [appends[appends.count - 1]] : []))
        }
        return findings.verdict(of: self, profile: history.header.profile)
    }
}
