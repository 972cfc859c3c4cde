import PodsimHistory

/// `cross-pod`: watchers of one thread on different pods receive an attempt's chunks alike.
public struct CrossPodChecker: Checker {
    public let name = CheckerName.crossPod

    public init() {}

    public func property(profile: String) -> String {
        profile == "hosted"
            ? "For every thread and turn fence (epoch by epoch, an epoch starting at seq 1 after a recovery), the watchers on different pods that received the fence's last appended content chunk received the same (seq, payload) sequence of it, in the same order."
            : "For every thread and run attempt, the watchers on different pods that received the attempt's last appended content chunk received the same (seq, payload) sequence of that attempt, in the same order."
    }

    public func check(_ history: History, bounds: CheckerBounds) -> Verdict {
        let index = HistoryIndex(history)
        var findings = Findings()
        let sessions = WatcherSession.all(in: index).map { (session: $0, deliveries: $0.deliveriesByKey(index).deliveries) }
        let (keys, appends) = index.appendsByKey()
        if keys.isEmpty, !index.events(.delivery).isEmpty {
            findings.cannotJudge("no chunk-appended events (no store journal): cannot tell which chunk ends an attempt")
        }
        for key in keys {
            guard let last = appends[key]!.filter({ ChunkTypes.isContent($0.append.event.chunk) }).max(by: { $0.append.t < $1.append.t }) else { continue }
            let received: [(session: WatcherSession, chunks: [Delivered])] = sessions.compactMap { session, byKey in
                guard session.thread == key.thread, let deliveries = byKey[key] else { return nil }
                guard let epoch = index.epochs(deliveries, of: key).last(where: { $0.contains { $0.seq == last.seq } }) else { return nil }
                return (session, epoch)
            }
            guard let reference = received.first, Set(received.map(\.session.process)).count > 1 else { continue }
            let otherPod = received.first { $0.session.process != reference.session.process }!
            for watcher in received.dropFirst() {
                let base = watcher.session.process == reference.session.process ? otherPod : reference
                if let difference = firstDifference(base, watcher, key: key) { findings.violate(difference.message, difference.events) }
            }
        }
        return findings.verdict(of: self, profile: history.header.profile)
    }

    /// Where two watchers' sequences of one key first part: the position, and what each got there.
    private func firstDifference(
        _ a: (session: WatcherSession, chunks: [Delivered]),
        _ b: (session: WatcherSession, chunks: [Delivered]),
        key: AttemptKey
    ) -> (message: String, events: [Located])? {
        let count = max(a.chunks.count, b.chunks.count)
        for position in 0..<count {
            let left = position < a.chunks.count ? a.chunks[position] : nil
            let right = position < b.chunks.count ? b.chunks[position] : nil
            if let left, let right, left.seq == right.seq, left.delivery.event.data == right.delivery.event.data { continue }
            func got(_ item: Delivered?, _ session: WatcherSession) -> String {
                guard let item else { return "\(session.label) got nothing more (\(position) chunks)" }
                return "\(session.label) got \(HistoryIndex.describeChunk(seq: item.seq, item.delivery.event)) at \(millis(item.delivery.t))"
            }
            return (
                "thread \(key.thread) \(key): the streams differ at chunk \(position + 1): \(got(left, a.session)), \(got(right, b.session))",
                [left?.delivery, right?.delivery].compactMap { $0 }
            )
        }
        return nil
    }
}
