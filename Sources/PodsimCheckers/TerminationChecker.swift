import PodsimHistory

/// `termination`: every accepted POST reaches a terminal state, and every watcher that stays
/// attached receives its final attempt's terminal chunk, within a bound after the last fault.
public struct TerminationChecker: Checker {
    public let name = CheckerName.termination

    public init() {}

    public func property(profile: String) -> String {
        profile == "hosted"
            ? "Every accepted POST (202) has a run-finished (hosted: or its gate workflow-finished) for its message within terminationNanos (default 15 s) of the later of the POST's answer and the end of the last fault before it, and every watcher of the thread attached before that finish and still attached terminationNanos after it received a terminal chunk (finish, error, abort) of the turn's fence, when the run streamed content; a history that ends before a deadline is unknown, not a failure."
            : "Every accepted POST (202) has a run-finished for its message within terminationNanos (default 15 s) of the later of the POST's answer and the end of the last fault before it, and every watcher of the thread attached before that finish and still attached terminationNanos after it received a terminal chunk (finish, error, abort) of the run's final attempt, when the run streamed content; a history that ends before a deadline is unknown, not a failure."
    }

    public func check(_ history: History, bounds: CheckerBounds) -> Verdict {
        let index = HistoryIndex(history)
        var findings = Findings()
        let sessions = WatcherSession.all(in: index)
        let sends = AcceptedSend.all(in: index)
        guard sends.isEmpty || index.hasStoreEvents else {
            findings.cannotJudge("the history has no store journal")
            return findings.verdict(of: self, profile: history.header.profile)
        }
        for send in sends {
            guard send.message != nil else {
                findings.cannotJudge("no run-enqueued matches the \(send.label)")
                continue
            }
            guard let finished = send.finished else {
                let deadline = send.boundStart(before: index.endsAt, in: index) + bounds.terminationNanos
                if index.endsAt >= deadline {
                    findings.violate(
                        "\(send.label) was accepted but its run never finished: no run-finished by \(millis(deadline)) (history ends at \(millis(index.endsAt)))",
                        [send.request])
                } else {
                    findings.cannotJudge("the history ends at \(millis(index.endsAt)), before the \(send.label) had to finish (\(millis(deadline)))")
                }
                continue
            }
            let deadline = send.boundStart(before: finished.t, in: index) + bounds.terminationNanos
            if finished.t > deadline {
                findings.violate(
                    "\(send.label): run \(finished.event.run ?? "?") finished \(finished.event.state ?? "") at \(millis(finished.t)) on \(HistoryIndex.pod(finished.event)), after the deadline \(millis(deadline))",
                    [send.request, finished])
            }
            checkWatchers(sessions, of: send, finished: finished, index: index, bounds: bounds, findings: &findings)
        }
        return findings.verdict(of: self, profile: history.header.profile)
    }

    private func checkWatchers(
        _ sessions: [WatcherSession], of send: AcceptedSend, finished: Located, index: HistoryIndex, bounds: CheckerBounds,
        findings: inout Findings
    ) {
        let deadline = finished.t + bounds.terminationNanos
        for session in sessions where Self.bound(session, to: send, finished: finished) {
            guard session.attached(through: deadline, endsAt: .max) else { continue }
            guard !Self.receivedTerminal(session, of: finished, index: index) else { continue }
            if index.endsAt >= deadline {
                findings.violate(
                    "\(session.label) attached at \(millis(session.attachedAt)) and still attached at \(millis(deadline)) never received a terminal chunk of \(Self.finalAttempt(finished)) (finished \(finished.event.state ?? "") at \(millis(finished.t)))",
                    [session.attach, finished].compactMap { $0 })
            } else {
                findings.cannotJudge("the history ends at \(millis(index.endsAt)), before \(session.label) had to receive \(Self.finalAttempt(finished))'s terminal chunk (\(millis(deadline)))")
            }
        }
    }

    /// Whether a session is one the run's terminal chunk is owed to: an open stream on the
    /// send's thread attached before a run that streamed content finished.
    static func bound(_ session: WatcherSession, to send: AcceptedSend, finished: Located) -> Bool {
        send.streamed && session.thread == send.thread && session.opened && session.attachedAt < finished.t
    }

    /// Whether the session received a terminal chunk of the finished run's final attempt
    /// (hosted: of the fence, whatever its attempt).
    static func receivedTerminal(_ session: WatcherSession, of finished: Located, index: HistoryIndex) -> Bool {
        session.deliveries.contains { delivery in
            guard ChunkTypes.isTerminal(delivery.event.chunk) else { return false }
            var event = delivery.event
            event.thread = event.thread ?? session.thread
            guard let position = index.position(of: event), position.key.run == finished.event.run else { return false }
            return index.hosted || finished.event.attempt == nil || position.key.attempt == finished.event.attempt
        }
    }

    /// `run 7 attempt 2`, the attempt a finish closed.
    static func finalAttempt(_ finished: Located) -> String {
        "run \(finished.event.run ?? "?")" + (finished.event.attempt.map { " attempt \($0)" } ?? "")
    }
}
