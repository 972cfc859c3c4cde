import PodsimHistory

/// `no-5xx`: no pod answers a server error (a clear 4xx is fine).
public struct NoServerErrorsChecker: Checker {
    public let name = CheckerName.no5xx

    public init() {}

    public func property(profile: String) -> String {
        "No request or stream attach sent to a pod is answered 5xx, except GET /health/ready answering 503 while the pod drains."
    }

    public func check(_ history: History, bounds: CheckerBounds) -> Verdict {
        let index = HistoryIndex(history)
        var findings = Findings()
        for answer in index.events(.request) + index.events(.attach) {
            let event = answer.event
            guard let status = event.status, status >= 500, event.process?.hasPrefix("pod-") == true else { continue }
            if status == 503, event.method == "GET", event.path?.hasPrefix("/health/ready") == true { continue }
            let call = event.kind == .attach ? "attach of \(event.watcher ?? "?")" : "\(event.method ?? "?") \(event.path ?? "?")"
            findings.violate(
                "\(HistoryIndex.pod(event)) answered \(status) to \(call) by \(event.caller ?? "?") at \(millis(answer.t))\(event.error.map { ": \($0)" } ?? "")",
                [answer])
        }
        return findings.verdict(of: self, profile: history.header.profile)
    }
}
