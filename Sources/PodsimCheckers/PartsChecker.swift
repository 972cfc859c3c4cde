import PodsimHistory

/// `parts`: a completed run's persisted parts are its final attempt's content, each once.
public struct PartsChecker: Checker {
    public let name = CheckerName.parts

    public init() {}

    public func property(profile: String) -> String {
        profile == "hosted"
            ? "For every turn fence that finished completed, replaying its parts-projected events (matched by fence, by the run-finished's message or by the assistant message asst-<fence>, a `replace` resetting the message) persists exactly the final attempt's content (the chunks it published, those the bus dropped as duplicates included; without attempt ids, those after the fence's last restart at seq 1): one text part per text-start…text-end group with its deltas joined and one tool part per tool-input-available, none twice, and no part is projected twice after the last replace."
            : "For every run that finished completed, replaying its parts-projected events (a `replace` resetting them) persists exactly its final attempt's content: one text part per text-start…text-end group with its deltas joined and one tool part per tool-input-available, none twice, and no part is projected by two projections (no double projection)."
    }

    public func check(_ history: History, bounds: CheckerBounds) -> Verdict {
        let index = HistoryIndex(history)
        var findings = Findings()
        let completed = index.events(.runFinished).filter { $0.event.state == "completed" }
        if !completed.isEmpty, index.events(.partsProjected).isEmpty {
            findings.cannotJudge("runs completed but the history has no parts-projected events")
            return findings.verdict(of: self, profile: history.header.profile)
        }
        for finished in completed {
            guard let run = finished.event.run, let thread = finished.event.thread else {
                findings.cannotJudge("a run-finished at \(millis(finished.t)) names no run or thread")
                continue
            }
            let chunks = finalAttemptChunks(run: run, thread: thread, finished: finished.event, index: index)
            guard !chunks.isEmpty else {
                findings.cannotJudge("run \(run) completed but none of its chunks were appended")
                continue
            }
            let projections = index.events(.partsProjected).filter { projection in
                let event = projection.event
                guard event.thread == thread else { return false }
                if event.run == run { return true }
                return index.hosted && event.message != nil && (event.message == finished.event.message || event.message == "asst-\(run)")
            }
            judge(run: run, finished: finished, expected: ReplyPart.parts(ofChunks: chunks.map(\.event.data)), projections: projections, findings: &findings)
        }
        return findings.verdict(of: self, profile: history.header.profile)
    }

    /// The final attempt's chunks in seq order: seed, the finished attempt's; hosted, the
    /// finished attempt's when the journal names attempts, else those after the fence's last
    /// restart at seq 1, counting the publishes the bus dropped as duplicates (what the attempt
    /// produced, so a reply spliced from two attempts shows).
    private func finalAttemptChunks(run: String, thread: String, finished: HistoryEvent, index: HistoryIndex) -> [Located] {
        let published = index.events(.chunkAppended) + (index.hosted ? index.events(.chunkDropped) : [])
        let appends = published.filter { $0.event.thread == thread && $0.event.run == run }.sorted { $0.index < $1.index }
        let attempt = finished.attempt ?? appends.compactMap(\.event.attempt).max()
        var chunks = appends.filter { attempt == nil || $0.event.attempt == nil || $0.event.attempt == attempt }
        if index.hosted, let restart = chunks.lastIndex(where: { $0.event.seq == 1 }) { chunks = Array(chunks[restart...]) }
        return chunks.sorted { ($0.event.seq ?? 0, $0.index) < ($1.event.seq ?? 0, $1.index) }
    }

    /// Replays the projections and compares the persisted parts with the expected ones.
    private func judge(run: String, finished: Located, expected: [ReplyPart], projections: [Located], findings: inout Findings) {
        var persisted: [(part: ReplyPart, by: Located)] = []
        for projection in projections {
            guard let parts = ReplyPart.parts(ofProjection: projection.event.data) else {
                findings.cannotJudge("the parts-projected at \(millis(projection.t)) holds no JSON array of parts")
                return
            }
            if projection.event.state == "replace" { persisted = [] }
            persisted += parts.map { ($0, projection) }
        }
        var problems: [String] = []
        var events: [Located] = [finished]
        for part in Set(persisted.map(\.part)).sorted() {
            let projectedBy = persisted.filter { $0.part == part }.map(\.by)
            let byDistinct = projectedBy.reduce(into: [Located]()) { kept, by in
                if !kept.contains(where: { $0.index == by.index }) { kept.append(by) }
            }
            guard byDistinct.count > 1 else { continue }
            problems.append("\(part) projected again: " + byDistinct.map { "by \(HistoryIndex.pod($0.event)) at \(millis($0.t))" }.joined(separator: ", "))
            events += byDistinct
        }
        let missing = difference(expected, minus: persisted.map(\.part))
        let extra = difference(persisted.map(\.part), minus: expected)
        if !missing.isEmpty { problems.append("missing " + missing.map(\.description).joined(separator: ", ")) }
        if !extra.isEmpty {
            problems.append("extra " + extra.map(\.description).joined(separator: ", "))
            events += persisted.filter { extra.contains($0.part) }.map(\.by)
        }
        guard !problems.isEmpty else { return }
        let attempt = finished.event.attempt.map { " \($0)" } ?? ""
        findings.violate(
            "thread \(finished.event.thread ?? "?") run \(run) completed at \(millis(finished.t)) on \(HistoryIndex.pod(finished.event)) with \(persisted.count) persisted parts for \(expected.count) in its final attempt\(attempt): \(problems.joined(separator: "; "))",
            events)
    }

    /// `parts` less one occurrence of each of `other` (a multiset difference).
    private func difference(_ parts: [ReplyPart], minus other: [ReplyPart]) -> [ReplyPart] {
        var remaining = other
        return parts.filter { part in
            guard let at = remaining.firstIndex(of: part) else { return true }
            remaining.remove(at: at)
            return false
        }
    }
}
