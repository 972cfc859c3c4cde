import PodsimModel
import Testing

@testable import PodsimScenario

/// `--target`: a scenario runs on a cluster podsim did not boot only when that cluster is the one
/// it asks for and offers what its steps use; otherwise every reason is named.
@Suite struct TargetFitTests {
    static func target(pods: Int = 3, profile: String? = nil, control: Bool = true, store: Bool = true, faults: FaultCommands? = nil,
        bugs: [String]? = nil, settings: ClusterSettings? = nil) -> TargetDescription {
        TargetDescription(
            pods: (1...pods).map { .init(name: "pod-\($0)", url: "http://127.0.0.1:\(9000 + $0)", pid: nil) },
            mockAI: .init(url: "http://127.0.0.1:9000"), store: store ? "/tmp/store.sqlite" : nil,
            control: control ? .init(url: "http://127.0.0.1:9100") : nil, faults: faults, bugs: bugs, profile: profile, settings: settings)
    }

    static func scenario(_ text: String) throws -> Scenario {
        try ScenarioParser.parse("name: fit\n" + text, file: "fit.yaml")
    }

    static let faulting = """
        cluster: {pods: 3, lease: 500ms}
        steps:
          - bootstrap: u
          - kill: pod-2
          - parallel:
              - check: {store: "SELECT 1", equals: 1}
              - check: {log: pod-1, contains: ready}
        """

    @Test func aScenarioOfTheTargetsShapeFits() throws {
        let scenario = try Self.scenario("cluster: {pods: 3}\nsteps:\n  - bootstrap: u\n")
        #expect(TargetFit.reasons(scenario, bugs: [], fixes: [], target: Self.target()).isEmpty)
        #expect(TargetFit.reasons(scenario, bugs: [], fixes: [], target: Self.target(control: false, store: false)).isEmpty)
    }

    @Test func anotherProfileIsTheOnlyReasonGiven() throws {
        let scenario = try Self.scenario("cluster: {profile: hosted, pods: 1}\nsteps:\n  - bootstrap: u\n")
        #expect(TargetFit.reasons(scenario, bugs: [], fixes: [], target: Self.target()) == ["needs the hosted profile; the target runs seed"])
    }

    @Test func everyDifferenceAndMissingCapabilityIsNamed() throws {
        let scenario = try Self.scenario(Self.faulting)
        let reasons = TargetFit.reasons(
            scenario, bugs: [.noReclaim], fixes: [], target: Self.target(pods: 2, control: false, store: false))
        #expect(reasons == [
            "needs 3 pods; the target has 2",
            "needs bug switches no-reclaim; the target has none",
            "needs settings.timings.leaseMillis = 500; the target has 1000",
            "needs to kill processes; the target has no control URL or faults command for it",
            "checks the store; the target names no store",
            "checks process logs; the target has no control URL to find them",
        ])
    }

    @Test func aFaultCommandStandsInForTheControlAPI() throws {
        let scenario = try Self.scenario("cluster: {pods: 3}\nsteps:\n  - bootstrap: u\n  - restart: pod-2\n")
        let stopOnly = Self.target(control: false, faults: FaultCommands(stop: "x stop {name}"))
        #expect(TargetFit.reasons(scenario, bugs: [], fixes: [], target: stopOnly)
            == ["needs to start processes; the target has no control URL or faults command for it"])
        let both = Self.target(control: false, faults: FaultCommands(stop: "x stop {name}", start: "x start {name}"))
        #expect(TargetFit.reasons(scenario, bugs: [], fixes: [], target: both).isEmpty)
    }

    @Test func theTargetsDeclaredSettingsAreComparedNotTheDefaults() throws {
        let scenario = try Self.scenario("cluster: {pods: 3, env: {STUDIO_SANDBOX_RUNNER: docker}}\nsteps:\n  - bootstrap: u\n")
        #expect(TargetFit.reasons(scenario, bugs: [], fixes: [], target: Self.target())
            == ["needs settings.environment.STUDIO_SANDBOX_RUNNER = docker; the target has unset"])
        let docker = Self.target(settings: ClusterSettings(environment: ["STUDIO_SANDBOX_RUNNER": "docker"]))
        #expect(TargetFit.reasons(scenario, bugs: [], fixes: [], target: docker).isEmpty)
    }
}
