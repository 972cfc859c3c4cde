import PodsimHistory

/// `sessions`: a signed-out cookie stops working on every pod within a bound.
public struct SessionsChecker: Checker {
    public let name = CheckerName.sessions

    public init() {}

    public func property(profile: String) -> String {
        "After POST /api/auth/sign-out answers 200 for a caller, no GET /api/auth/get-session by that caller that starts more than sessionsNanos (default 1 s) after the answer is answered 200 by any pod, until that caller signs in again."
    }

    public func check(_ history: History, bounds: CheckerBounds) -> Verdict {
        let index = HistoryIndex(history)
        var findings = Findings()
        let requests = index.events(.request)
        for signOut in requests where Self.path(signOut.event) == "/api/auth/sign-out" && signOut.event.status == 200 {
            guard let caller = signOut.event.caller else { continue }
            let deadline = signOut.end + bounds.sessionsNanos
            let signIn = requests.first { $0.t > signOut.end && $0.event.caller == caller && Self.signsIn($0.event) }
            let accepted = requests.filter {
                $0.event.caller == caller && Self.path($0.event) == "/api/auth/get-session" && $0.event.status == 200 && $0.t > deadline
                    && $0.t < (signIn?.t ?? .max)
            }
            guard let first = accepted.first else { continue }
            let pods = Set(accepted.map { HistoryIndex.pod($0.event) }).sorted().joined(separator: ", ")
            findings.violate(
                "\(caller) signed out on \(HistoryIndex.pod(signOut.event)) (answered at \(millis(signOut.end))), yet \(accepted.count) get-session calls started after \(millis(deadline)) were answered 200 (by \(pods)), the first on \(HistoryIndex.pod(first.event)) at \(millis(first.t))",
                [signOut, first])
        }
        return findings.verdict(of: self, profile: history.header.profile)
    }

    private static func path(_ event: HistoryEvent) -> String? {
        event.path.map { $0.split(separator: "?", maxSplits: 1).first.map(String.init) ?? $0 }
    }

    /// A call that gives the caller a new session: the runner's bootstrap, a sign-in or a sign-up.
    private static func signsIn(_ event: HistoryEvent) -> Bool {
        event.op == "bootstrap" || path(event).map { $0.hasPrefix("/api/auth/sign-in") || $0.hasPrefix("/api/auth/sign-up") } == true
    }
}
