import PodsimCheckers
import PodsimHistory

/// What one drawn thing is; it decides the class, the tooltip and how it is laid out.
enum ItemKind: Int, CaseIterable {
    case step, fault, run, workflow, request, providerCall, attached
    case append, dropped, delivery, event

    /// The class the page and the tests rely on (see `Timeline`).
    var className: String {
        switch self {
        case .step: "step"
        case .fault: "fault"
        case .run: "run"
        case .workflow: "workflow"
        case .request: "request"
        case .providerCall: "provider-call"
        case .attached: "attached"
        case .append: "append"
        case .dropped: "dropped"
        case .delivery: "delivery"
        case .event: "event"
        }
    }

    /// The noun a density strip counts.
    var plural: String {
        switch self {
        case .step: "steps"
        case .fault: "faults"
        case .run: "runs"
        case .workflow: "workflows"
        case .request: "requests"
        case .providerCall: "provider calls"
        case .attached: "attaches"
        case .append: "appends"
        case .dropped: "dropped publishes"
        case .delivery: "deliveries"
        case .event: "other events"
        }
    }

    /// Spans whose label is worth more rows: it is drawn whole, past the span's end if need be.
    var spillsLabel: Bool {
        switch self {
        case .step, .fault, .run, .workflow: true
        default: false
        }
    }

    var isSpan: Bool {
        switch self {
        case .step, .fault, .run, .workflow, .request, .providerCall, .attached: true
        case .append, .dropped, .delivery, .event: false
        }
    }
}

/// A span (start..end) or a mark (at start) on a lane, made of one or two events of the history.
struct Item {
    var kind: ItemKind
    var start: Int64
    var end: Int64
    /// The event it stands for (the opening one for a span).
    var index: Int
    /// The closing event of a span, when there is one.
    var endIndex: Int?
    /// A span whose closing event never came: it runs to the history's end.
    var open = false
    /// A span's visible label; empty for marks.
    var label = ""
    /// What ended a run span (its final state), for the tooltip and `data-state`.
    var state = ""
    var failed = false
    var violation = false
    /// The span row within its lane, set by the layout.
    var row = 0
}

struct Lane {
    /// The `data-lane` name.
    var name: String
    /// What the label column shows.
    var label: String
    var items: [Item] = []
    /// Watcher lanes folded into one per pod: how many watchers it holds.
    var folded = 0
    var aggregated = false
    var spanRows = 0
    var hasMarks = false
    var y = 0.0
    var height = 0.0
}

/// The lanes of one history, the violations to highlight, and what the header needs.
struct Model {
    var lanes: [Lane] = []
    var endNanos: Int64 = 0
    /// Indices into `history.events` that a failing verdict or the failing step points at.
    var flagged: Set<Int> = []
    /// The step-end events that carry an error (the failing step).
    var failedSteps: [Int] = []
    /// A step-end's step-start (which carries the step's label).
    var stepStarts: [Int: Int] = [:]
    /// Faults, for the vertical lines across all lanes.
    var faults: [Int] = []
    /// chunk `thread \0 id` → the times it was appended, in order, with their event index.
    var appends: [String: [(t: Int64, index: Int)]] = [:]
    /// chunk id → the times it was appended on any thread, for a delivery whose thread the store
    /// names differently.
    var appendsByID: [String: [(t: Int64, index: Int)]] = [:]
    var foldedWatchers = false

    init(_ history: History, verdicts: [Verdict], options: Timeline.Options) {
        let events = history.events
        for verdict in verdicts where verdict.validity == .fail {
            for violation in verdict.violations {
                for index in violation.indices where events.indices.contains(index) { flagged.insert(index) }
            }
        }
        // One pass (a history can hold hundreds of thousands of deliveries): the end, the failing
        // steps, and who appears, in the order seen.
        var storeProcesses: [String] = [], storeSeen: Set<String> = []
        var runnerProcesses: [String] = [], runnerSeen: Set<String> = []
        var callers: [String] = [], callerSeen: Set<String> = []
        var watcherOrder: [String] = []
        var watcherNumber: [String: Int] = [:]
        var watcherPods: [[String]] = []
        var watcherOf = [Int](repeating: -1, count: events.count)
        for index in events.indices {
            let kind = events[index].kind
            endNanos = max(endNanos, events[index].t, events[index].end ?? 0)
            switch kind {
            case .delivery, .attach, .detach:
                guard let watcher = events[index].watcher else { break }
                var number = watcherNumber[watcher] ?? -1
                if number < 0 {
                    number = watcherOrder.count
                    watcherNumber[watcher] = number
                    watcherOrder.append(watcher)
                    watcherPods.append([])
                }
                watcherOf[index] = number
                if let pod = events[index].process, !pod.isEmpty, !watcherPods[number].contains(pod) {
                    watcherPods[number].append(pod)
                    // Pods the runner talked to that the store never mentioned still get a lane.
                    if kind != .detach, runnerSeen.insert(pod).inserted { runnerProcesses.append(pod) }
                }
            case .request:
                if let pod = events[index].process, !pod.isEmpty, runnerSeen.insert(pod).inserted { runnerProcesses.append(pod) }
                let caller = events[index].caller ?? "runner"
                if callerSeen.insert(caller).inserted { callers.append(caller) }
            default:
                if kind == .stepEnd, events[index].error != nil {
                    failedSteps.append(index)
                    flagged.insert(index)
                }
                if let process = events[index].process, !process.isEmpty, storeSeen.insert(process).inserted { storeProcesses.append(process) }
                if kind == .fault, let target = events[index].target, !target.isEmpty, storeSeen.insert(target).inserted { storeProcesses.append(target) }
            }
        }
        if endNanos <= 0 { endNanos = 1_000_000 }
        var isFlagged = [Bool](repeating: false, count: events.count)
        for index in flagged { isFlagged[index] = true }

        // Lanes, in order: steps, faults, processes, callers, watchers.
        var laneIndex: [String: Int] = [:]
        func lane(_ name: String, label: String? = nil) -> Int {
            if let index = laneIndex[name] { return index }
            laneIndex[name] = lanes.count
            lanes.append(Lane(name: name, label: label ?? name))
            return lanes.count - 1
        }
        _ = lane("steps")
        _ = lane("faults")
        for process in history.header.processes + storeProcesses + runnerProcesses where !process.isEmpty { _ = lane(process) }
        for caller in callers { _ = lane("caller " + caller) }
        foldedWatchers = watcherOrder.count > options.watcherLaneLimit
        var watcherLane = [Int](repeating: 0, count: watcherOrder.count)
        if foldedWatchers {
            var counts: [Int: Int] = [:]
            for (number, pods) in watcherPods.enumerated() {
                let index = lane("watchers @ " + (pods.first ?? "?"))
                watcherLane[number] = index
                counts[index, default: 0] += 1
            }
            for (index, count) in counts {
                lanes[index].folded = count
                lanes[index].label = "\(count) watchers @ " + (lanes[index].name.dropFirst("watchers @ ".count))
            }
        } else {
            for (number, watcher) in watcherOrder.enumerated() {
                let pods = watcherPods[number]
                watcherLane[number] = lane("watcher " + watcher, label: "watcher \(watcher)" + (pods.isEmpty ? "" : " @ " + pods.joined(separator: ", ")))
            }
        }

        var consumed = [Bool](repeating: false, count: events.count)
        func add(_ laneNumber: Int, _ item: Item) {
            var item = item
            item.violation = item.violation || isFlagged[item.index] || item.endIndex.map { isFlagged[$0] } == true
            lanes[laneNumber].items.append(item)
            consumed[item.index] = true
            if let end = item.endIndex { consumed[end] = true }
        }
        let stepsLane = laneIndex["steps"]!
        let faultsLane = laneIndex["faults"]!

        // Steps: a step-end closes the earliest open step-start of the same location.
        var openSteps: [String: [Int]] = [:]
        // Runs: (thread, run) → open claims.
        var openRuns: [String: [Int]] = [:]
        var openWorkflows: [String: [Int]] = [:]
        var openAttaches: [Int: [Int]] = [:]
        var runItems: [(lane: Int, item: Item)] = []

        func runKey(_ event: HistoryEvent) -> String { (event.thread ?? "") + "\u{0}" + (event.run ?? "") }
        func closeRun(_ key: String, at index: Int, state: String, onlyAttempt: Int?, before attempt: Int?) {
            guard var claims = openRuns[key] else { return }
            claims.removeAll { claim in
                let claimed = events[claim]
                if let only = onlyAttempt, let has = claimed.attempt, has != only { return false }
                if let later = attempt, let has = claimed.attempt, has >= later { return false }
                // A later claim is its own span's start, not this one's end (nor its violation).
                let supersededBy = events[index].kind == .runClaimed || events[index].kind == .runReclaimed
                let item = Item(
                    kind: .run, start: claimed.t, end: events[index].t, index: claim, endIndex: supersededBy ? nil : index,
                    label: runLabel(claimed, state), state: state,
                    failed: ["failed", "cancelled"].contains(state))
                runItems.append((lane(claimed.process ?? "?"), item))
                return true
            }
            openRuns[key] = claims.isEmpty ? nil : claims
        }
        func runLabel(_ event: HistoryEvent, _ state: String) -> String {
            "run \(event.run ?? "?") #\(event.attempt.map(String.init) ?? "?")" + (state.isEmpty ? "" : " " + state)
        }

        for index in events.indices {
            let kind = events[index].kind
            if kind == .delivery {
                // The bulk of a big history: no copy of the event.
                if watcherOf[index] >= 0 {
                    add(watcherLane[watcherOf[index]], Item(kind: .delivery, start: events[index].t, end: events[index].t, index: index))
                }
                continue
            }
            let event = events[index]
            switch kind {
            case .stepStart:
                openSteps[event.location ?? "", default: []].append(index)
            case .stepEnd:
                let location = event.location ?? ""
                if var starts = openSteps[location], !starts.isEmpty {
                    let start = starts.removeFirst()
                    openSteps[location] = starts
                    stepStarts[index] = start
                    add(stepsLane, Item(kind: .step, start: events[start].t, end: max(event.t, events[start].t), index: start, endIndex: index,
                                        label: Self.shortLocation(location), failed: event.error != nil))
                } else {
                    add(stepsLane, Item(kind: .step, start: event.t, end: event.t, index: index, label: Self.shortLocation(location), failed: event.error != nil))
                }
            case .fault:
                faults.append(index)
                add(faultsLane, Item(kind: .fault, start: event.t, end: max(event.end ?? event.t, event.t), index: index,
                                     label: event.action.map { $0 + (event.target.map { " " + $0 } ?? "") } ?? "fault", failed: event.error != nil))
            case .runClaimed, .runReclaimed:
                let key = runKey(event)
                // A later attempt's claim ends the earlier attempts still open.
                closeRun(key, at: index, state: "superseded by #\(event.attempt.map(String.init) ?? "?")", onlyAttempt: nil, before: event.attempt)
                openRuns[key, default: []].append(index)
            case .runReleased:
                if openRuns[runKey(event)] != nil { closeRun(runKey(event), at: index, state: "released", onlyAttempt: event.attempt, before: nil) }
            case .runFinished:
                if openRuns[runKey(event)] != nil { closeRun(runKey(event), at: index, state: event.state ?? "finished", onlyAttempt: nil, before: nil) }
            case .workflowStarted:
                let key = [event.thread ?? "", event.workflow ?? "", event.run ?? "", event.message ?? ""].joined(separator: "\u{0}")
                openWorkflows[key, default: []].append(index)
            case .workflowFinished:
                let key = [event.thread ?? "", event.workflow ?? "", event.run ?? "", event.message ?? ""].joined(separator: "\u{0}")
                if var starts = openWorkflows[key], !starts.isEmpty {
                    let start = starts.removeFirst()
                    openWorkflows[key] = starts
                    let started = events[start]
                    add(lane(started.process ?? "?"), Item(kind: .workflow, start: started.t, end: event.t, index: start, endIndex: index,
                                                           label: Self.workflowLabel(started, event.state), state: event.state ?? "",
                                                           failed: ["ERROR", "failed", "CANCELLED"].contains(event.state ?? "")))
                }
            case .request:
                // No answer at all (refused, timed out) or a 5xx; a clear 4xx is an answer.
                let failed = (event.status ?? 500) >= 500
                add(lane("caller " + (event.caller ?? "runner")), Item(
                    kind: .request, start: event.t, end: max(event.end ?? event.t, event.t), index: index,
                    label: "\(event.method ?? "") \(event.path ?? event.op ?? "")" + (event.status.map { " → \($0)" } ?? " ✗"), failed: failed))
            case .providerCall:
                add(lane(event.process ?? "mock-ai"), Item(
                    kind: .providerCall, start: event.t, end: max(event.end ?? event.t, event.t), index: index,
                    label: "call \(event.run ?? "?") #\(event.attempt.map(String.init) ?? "?") step \(event.step.map(String.init) ?? "?")",
                    failed: (event.status ?? 200) >= 400))
            case .attach:
                let watcher = watcherOf[index]
                guard watcher >= 0 else { break }
                if foldedWatchers {
                    add(watcherLane[watcher], Item(kind: .event, start: event.t, end: event.t, index: index))
                } else {
                    openAttaches[watcher, default: []].append(index)
                }
            case .detach:
                let watcher = watcherOf[index]
                guard watcher >= 0 else { break }
                let laneNumber = watcherLane[watcher]
                if foldedWatchers {
                    add(laneNumber, Item(kind: .event, start: event.t, end: event.t, index: index))
                } else if var starts = openAttaches[watcher], !starts.isEmpty {
                    let start = starts.removeFirst()
                    openAttaches[watcher] = starts
                    add(laneNumber, Item(kind: .attached, start: events[start].t, end: max(event.t, events[start].t), index: start, endIndex: index,
                                         label: "attached " + (events[start].process ?? "") + " → " + (event.reason ?? "detached"),
                                         failed: event.reason == "failed"))
                }
            case .chunkAppended:
                if let id = event.id {
                    appends[(event.thread ?? "") + "\u{0}" + id, default: []].append((event.t, index))
                    appendsByID[id, default: []].append((event.t, index))
                }
                add(lane(event.process ?? "?"), Item(kind: .append, start: event.t, end: event.t, index: index))
            case .chunkDropped:
                add(lane(event.process ?? "?"), Item(kind: .dropped, start: event.t, end: event.t, index: index))
            default:
                break
            }
        }
        // What is still open runs to the history's end.
        for (_, claims) in openRuns {
            for claim in claims {
                let claimed = events[claim]
                runItems.append((lane(claimed.process ?? "?"), Item(kind: .run, start: claimed.t, end: endNanos, index: claim, open: true,
                                                                   label: runLabel(claimed, "open"), state: "open")))
            }
        }
        for (lane, item) in runItems.sorted(by: { ($0.item.start, $0.item.index) < ($1.item.start, $1.item.index) }) { add(lane, item) }
        for (_, starts) in openSteps {
            for start in starts {
                add(stepsLane, Item(kind: .step, start: events[start].t, end: endNanos, index: start, open: true,
                                    label: Self.shortLocation(events[start].location ?? "")))
            }
        }
        for (_, starts) in openWorkflows {
            for start in starts {
                let started = events[start]
                add(lane(started.process ?? "?"), Item(kind: .workflow, start: started.t, end: endNanos, index: start, open: true,
                                                       label: Self.workflowLabel(started, "open"), state: "open"))
            }
        }
        for (watcher, starts) in openAttaches {
            for start in starts {
                add(watcherLane[watcher], Item(kind: .attached, start: events[start].t, end: endNanos, index: start, open: true,
                                                label: "attached " + (events[start].process ?? "")))
            }
        }
        // Everything else becomes a plain mark where it happened, so that nothing (least of all a
        // violation) is left off the page.
        for index in events.indices where !consumed[index] {
            let event = events[index]
            let number: Int
            if watcherOf[index] >= 0 {
                number = watcherLane[watcherOf[index]]
            } else if let process = event.process, !process.isEmpty {
                number = lane(process)
            } else if let caller = event.caller, !caller.isEmpty {
                number = lane("caller " + caller)
            } else {
                number = lane("events")
            }
            add(number, Item(kind: .event, start: event.t, end: event.t, index: index))
        }

        for number in lanes.indices {
            let items = lanes[number].items
            if items.indices.dropFirst().contains(where: { (items[$0 - 1].start, items[$0 - 1].index) > (items[$0].start, items[$0].index) }) {
                lanes[number].items.sort { ($0.start, $0.index) < ($1.start, $1.index) }
            }
            lanes[number].aggregated = lanes[number].items.count > options.markLimit
        }
        // The page as a whole: many lanes each under the limit (100 watchers × 306 chunks) would
        // still make a page too big to open, so the fullest lanes become density strips too.
        var drawn = lanes.filter { !$0.aggregated }.reduce(0) { $0 + $1.items.count }
        while drawn > options.pageMarkLimit, let fullest = lanes.indices.filter({ !lanes[$0].aggregated }).max(by: { (lanes[$0].items.count, $0) < (lanes[$1].items.count, $1) }) {
            // Of equally full lanes, the last goes first: pods and the mock come before watchers.
            lanes[fullest].aggregated = true
            drawn -= lanes[fullest].items.count
        }
    }

    /// `Scenarios/pod-death-replay.yaml:53:9` → `pod-death-replay.yaml:53`.
    static func shortLocation(_ location: String) -> String {
        var parts = location.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if parts.count >= 3, Int(parts[parts.count - 1]) != nil, Int(parts[parts.count - 2]) != nil { parts.removeLast() }
        let joined = parts.joined(separator: ":")
        return String(joined.split(separator: "/").last ?? Substring(joined))
    }

    static func workflowLabel(_ started: HistoryEvent, _ state: String?) -> String {
        (started.workflow ?? "workflow") + (started.run.map { " \($0)" } ?? "") + (started.attempt.map { " #\($0)" } ?? "") + (state.map { " " + $0 } ?? "")
    }

    /// The latest append of the delivered chunk (same thread and id) at or before the delivery.
    func matchingAppend(for event: HistoryEvent) -> (t: Int64, index: Int)? {
        guard let id = event.id else { return nil }
        // The store may name the thread differently: then the id alone.
        let candidates = appends[(event.thread ?? "") + "\u{0}" + id] ?? appendsByID[id]
        return candidates?.last { $0.t <= event.t }
    }
}
