import PodsimHistory

/// What the runner polls before judging a history: the work that has not settled yet.
public enum Termination {
    /// Human-readable items still pending at the end of the history: accepted POSTs whose run
    /// has no run-finished yet, and watchers still attached that have not received the final
    /// attempt's terminal chunk of a finished run on their thread. Empty once quiescent.
    public static func unsettled(_ history: History) -> [String] {
        let index = HistoryIndex(history)
        let sessions = WatcherSession.all(in: index)
        var pending: [String] = []
        for send in AcceptedSend.all(in: index) {
            guard let finished = send.finished else {
                pending.append("\(send.label): no run-finished yet")
                continue
            }
            for session in sessions where TerminationChecker.bound(session, to: send, finished: finished) && session.detach == nil {
                guard !TerminationChecker.receivedTerminal(session, of: finished, index: index) else { continue }
                pending.append("\(session.label): no terminal chunk of \(TerminationChecker.finalAttempt(finished)) yet")
            }
        }
        return pending
    }
}
