import PodsimHistory

/// `single-execution`: the provider serves each model step of each attempt once.
public struct SingleExecutionChecker: Checker {
    public let name = CheckerName.singleExecution

    public init() {}

    public func property(profile: String) -> String {
        profile == "hosted"
            ? "The mock provider's call log holds exactly one call per (thread, turn fence, attempt = 1 + the child's recoveries, step): no step of an attempt is executed twice, whichever pod the watchers attach to."
            : "The mock provider's call log holds exactly one call per (thread, run, attempt, step): no step of an attempt is executed twice, whichever pod the watchers attach to (no re-execution on attach)."
    }

    public func check(_ history: History, bounds: CheckerBounds) -> Verdict {
        let index = HistoryIndex(history)
        var findings = Findings()
        struct Step: Hashable { let thread: String, run: String, attempt: Int, step: Int }
        var steps: [Step] = []
        var calls: [Step: [Located]] = [:]
        var unplaced = 0
        for call in index.events(.providerCall) {
            let event = call.event
            guard let thread = event.thread, let run = event.run, let attempt = event.attempt, let step = event.step else {
                unplaced += 1
                continue
            }
            let key = Step(thread: thread, run: run, attempt: attempt, step: step)
            if calls[key] == nil { steps.append(key) }
            calls[key, default: []].append(call)
        }
        if unplaced > 0 { findings.cannotJudge("\(unplaced) provider calls lack their run, attempt or step") }
        if index.events(.providerCall).isEmpty, index.events(.runFinished).contains(where: { $0.event.state == "completed" }) {
            findings.cannotJudge("runs completed but the history has no provider call log")
        }
        for step in steps where calls[step]!.count > 1 {
            let served = calls[step]!.map { "\($0.event.target ?? "?") at \(millis($0.t))" }.joined(separator: ", ")
            findings.violate(
                "thread \(step.thread) run \(step.run) attempt \(step.attempt) step \(step.step): \(calls[step]!.count) provider calls (from \(served))",
                calls[step]!)
        }
        return findings.verdict(of: self, profile: history.header.profile)
    }
}
