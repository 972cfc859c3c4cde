import PodsimHistory

/// `cancel`: a run in progress when a cancel answers stops appending content within a bound.
public struct CancelChecker: Checker {
    public let name = CheckerName.cancel

    public init() {}

    public func property(profile: String) -> String {
        let run = profile == "hosted" ? "turn fence" : "run"
        return "After a POST …/decopilot/cancel/<thread> answers 200 or 202, no content chunk of a \(run) of that thread that was in progress when it answered (claimed or appending before the answer, not finished before it) is appended later than cancelNanos (default 1 s) after the answer, on any pod."
    }

    public func check(_ history: History, bounds: CheckerBounds) -> Verdict {
        let index = HistoryIndex(history)
        var findings = Findings()
        let cancels = index.events(.request).filter { request in
            guard let path = request.event.path, path.contains("/decopilot/cancel/") else { return false }
            return request.event.status == 200 || request.event.status == 202
        }
        if !cancels.isEmpty, !index.hasStoreEvents { findings.cannotJudge("the history has no store journal") }
        let started = index.claims + index.events(.chunkAppended)
        for cancel in cancels {
            let thread = Self.thread(ofCancelPath: cancel.event.path ?? "")
            let answered = cancel.end
            let runs = Set(started.filter { $0.event.thread == thread && $0.t < answered }.compactMap(\.event.run)).filter { run in
                !index.events(.runFinished).contains { $0.event.thread == thread && $0.event.run == run && $0.t < answered }
            }
            let deadline = answered + bounds.cancelNanos
            for run in runs.sorted() {
                let late = index.events(.chunkAppended).filter {
                    $0.event.thread == thread && $0.event.run == run && $0.t > deadline && ChunkTypes.isContent($0.event.chunk)
                }
                guard let first = late.first else { continue }
                findings.violate(
                    "thread \(thread) run \(run): the cancel by \(cancel.event.caller ?? "?") on \(HistoryIndex.pod(cancel.event)) answered \(cancel.event.status ?? 0) at \(millis(answered)), yet \(late.count) content chunks were appended after \(millis(deadline)), the first (\(HistoryIndex.describeChunk(seq: first.event.seq, first.event))) on \(HistoryIndex.pod(first.event)) at \(millis(first.t))",
                    [cancel, first])
            }
        }
        return findings.verdict(of: self, profile: history.header.profile)
    }

    /// The thread a cancel names: the path's last component, without a query.
    static func thread(ofCancelPath path: String) -> String {
        let withoutQuery = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        return withoutQuery.split(separator: "/").last.map(String.init) ?? ""
    }
}
