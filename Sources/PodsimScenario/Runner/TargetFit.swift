import PodsimCluster
import PodsimModel

extension FaultAction {
    /// The process actions the fault is made of: `restart` stops the process and starts the
    /// same one again (name, port, environment: hosted recovery is bound to the name).
    var processActions: [ProcessAction] {
        switch self {
        case .kill: [.kill]
        case .stop: [.stop]
        case .start: [.start]
        case .pause: [.pause]
        case .resume: [.resume]
        case .restart: [.stop, .start]
        }
    }
}

/// Whether a scenario can run on a cluster podsim did not boot (`--target`): the target must be
/// the cluster the scenario asks for (profile, pods, bug switches, fixes, settings) and offer what
/// its steps use (a way to fault processes, link daemons, bus faults, the store, process logs).
/// A scenario that does not fit is skipped with these reasons, never passed.
enum TargetFit {
    /// Why `scenario`, run with `bugs` and `fixes`, cannot run on `target`; empty when it can.
    static func reasons(_ scenario: Scenario, bugs: Set<BugSwitch>, fixes: Set<OpenBug>, target: TargetDescription) -> [String] {
        let profile = target.profile ?? ServerProfile.default.rawValue
        // Another era's scenario: nothing else about it is worth comparing.
        guard scenario.profile.rawValue == profile else { return ["needs the \(scenario.profile.rawValue) profile; the target runs \(profile)"] }
        var reasons: [String] = []
        if scenario.cluster.pods != target.pods.count {
            reasons.append("needs \(scenario.cluster.pods) pod\(scenario.cluster.pods == 1 ? "" : "s"); the target has \(target.pods.count)")
        }
        reasons += mismatch("bug switches", wanted: bugs.map(\.rawValue), actual: target.bugs ?? [])
        let settings = target.settings ?? ClusterSettings()
        reasons += mismatch("fixes", wanted: fixes.map(\.rawValue), actual: settings.fixes)
        let wanted = ClusterSettings(
            environment: scenario.cluster.environment, podEnvironment: scenario.cluster.podEnvironment, timings: scenario.cluster.timings,
            hosted: scenario.profile == .hosted ? scenario.cluster.hosted : settings.hosted, fixes: settings.fixes)
        reasons += differences(wanted: wanted, actual: settings)
        reasons += missing(needs(scenario.steps), in: target)
        return reasons
    }

    private static func mismatch(_ what: String, wanted: [String], actual: [String]) -> [String] {
        guard Set(wanted) != Set(actual) else { return [] }
        func list(_ names: [String]) -> String { names.isEmpty ? "none" : names.sorted().joined(separator: ", ") }
        return ["needs \(what) \(list(wanted)); the target has \(list(actual))"]
    }

    /// Each setting the scenario wants otherwise than the target has it, by its `cluster.json` path.
    private static func differences(wanted: ClusterSettings, actual: ClusterSettings) -> [String] {
        guard wanted != actual, let wantedValues = try? JSONValue(encoding: wanted).flattened(),
            let actualValues = try? JSONValue(encoding: actual).flattened()
        else { return [] }
        return Set(wantedValues.keys).union(actualValues.keys).sorted().compactMap { path in
            let want = wantedValues[path] ?? "unset"
            let have = actualValues[path] ?? "unset"
            return want == have ? nil : "needs settings.\(path) = \(want); the target has \(have)"
        }
    }

    /// What a scenario's steps use beyond pods and the mock provider.
    struct Needs {
        var actions: Set<ProcessAction> = []
        var linkDaemons = false
        var bus = false
        var store = false
        var logs = false
    }

    static func needs(_ steps: [Step]) -> Needs {
        var needs = Needs()
        func visit(_ steps: [Step]) {
            for step in steps {
                switch step.kind {
                case .fault(let action, _, _): needs.actions.formUnion(action.processActions)
                case .linkDaemon: needs.linkDaemons = true
                case .bus: needs.bus = true
                case .check(let check), .eventually(let check, _, _), .stable(let check, _, _):
                    switch check.subject {
                    case .store: needs.store = true
                    case .log: needs.logs = true
                    case .thread, .watcher, .providerCalls, .request: break
                    }
                case .parallel(let inner), .loop(_, _, let inner), .within(_, let inner): visit(inner)
                case .bootstrap, .agent, .thread, .send, .request, .attach, .detach, .owner, .releaseGate, .record, .wait: break
                }
            }
        }
        visit(steps)
        return needs
    }

    private static func missing(_ needs: Needs, in target: TargetDescription) -> [String] {
        var reasons: [String] = []
        let control = target.control != nil
        let unfaultable = ProcessAction.allCases.filter { needs.actions.contains($0) && !control && target.faults?[$0] == nil }
        if !unfaultable.isEmpty {
            reasons.append("needs to \(unfaultable.map(\.rawValue).joined(separator: ", ")) processes; the target has no control URL or faults command for it")
        }
        if needs.linkDaemons && !control { reasons.append("starts link daemons; the target has no control URL") }
        if needs.bus && !control { reasons.append("injects bus faults; the target has no control URL") }
        if needs.store && target.store == nil { reasons.append("checks the store; the target names no store") }
        if needs.logs && !control { reasons.append("checks process logs; the target has no control URL to find them") }
        return reasons
    }
}

extension JSONValue {
    /// Every leaf as `path.to.leaf` → its JSON text, for naming what differs between two values.
    func flattened(prefix: String = "") -> [String: String] {
        switch self {
        case .object(let fields):
            var leaves: [String: String] = [:]
            for (key, value) in fields { leaves.merge(value.flattened(prefix: prefix.isEmpty ? key : prefix + "." + key)) { first, _ in first } }
            return leaves
        default:
            return [prefix: text]
        }
    }
}
