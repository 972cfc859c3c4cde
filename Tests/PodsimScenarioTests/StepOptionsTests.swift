import Testing

@testable import PodsimScenario

/// `ScenarioParser.stepOptions` (the schema's per-kind options, and what an unknown option's
/// error offers) must be exactly what the parser reads for each kind.
@Suite struct StepOptionsTests {
    /// A step of each kind with only the options it requires.
    static let bases: [String: String] = [
        "bootstrap": "bootstrap: u",
        "agent": "agent: a",
        "thread": "thread: t\n    agent: a",
        "send": "send: hi\n    thread: t",
        "request": "request: GET /x",
        "attach": "attach: w\n    thread: t",
        "detach": "detach: w",
        "await": "await: w\n    contains: x",
        "check": "check: {thread: t, status: completed}",
        "eventually": "eventually: {thread: t, status: completed}",
        "stable": "stable: {thread: t, status: completed}\n    for: 1s",
        "kill": "kill: pod-1", "stop": "stop: pod-1", "start": "start: pod-1", "pause": "pause: pod-1", "resume": "resume: pod-1",
        "restart": "restart: pod-1",
        "owner": "owner: t\n    into: o",
        "link-daemon": "link-daemon: d",
        "bus": "bus: heal",
        "release": "release: g",
        "record": "record: r",
        "wait": "wait: 1ms",
        "parallel": "parallel:\n      - wait: 1ms",
        "repeat": "repeat: 2\n    steps:\n      - wait: 1ms",
        "within": "within: 1s\n    steps:\n      - wait: 1ms",
    ]

    static func errors(_ step: String) -> [String] {
        ScenarioParser.parsing("steps:\n  - \(step)\n", file: "kinds.yaml").errors.map(\.description)
    }

    @Test func everyKindHasABaseThatParses() {
        #expect(Set(Self.bases.keys) == Set(ScenarioParser.stepKeys))
        #expect(Set(ScenarioParser.stepOptions.keys) == Set(ScenarioParser.stepKeys))
        for (kind, base) in Self.bases {
            #expect(Self.errors(base).isEmpty, "\(kind): \(Self.errors(base))")
        }
    }

    @Test func eachKindTakesExactlyTheOptionsTheTableLists() {
        let candidates = Set(ScenarioParser.stepOptions.values.joined()).union(["frobnicate", "equals"])
        for kind in ScenarioParser.stepKeys {
            let declared = Set(ScenarioParser.stepOptions[kind] ?? [])
            for option in candidates.sorted() where option != kind {
                let errors = Self.errors(Self.bases[kind]! + "\n    \(option): 1")
                let unknown = errors.contains { $0.contains("unknown key in '\(kind)' step '\(option)'") || $0.contains("unknown key '\(option)'") }
                #expect(unknown == !declared.contains(option), "\(kind) with \(option): \(errors)")
            }
        }
    }

    @Test func anUnknownOptionIsOfferedTheKindsOptions() {
        let errors = Self.errors("owner: t\n    into: o\n    timout: 2s")
        #expect(errors.count == 1)
        #expect(errors.first?.contains("unknown key in 'owner' step 'timout' (did you mean 'timeout'?); expected one of: as, into, attempt, of, timeout") == true, "\(errors)")
        #expect(Self.errors("detach: w\n    on: pod-1").first?.contains("unknown key 'on': a 'detach' step takes no options") == true)
    }
}
