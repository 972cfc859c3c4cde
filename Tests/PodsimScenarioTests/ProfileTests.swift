import Foundation
import PodsimModel
import Testing

@testable import PodsimScenario

/// The `hosted` profile in the scenario language: its cluster knobs, and validation that keeps
/// each profile's keys, switches, steps and fields to scenarios of that profile.
@Suite struct ProfileTests {
    /// A hosted scenario with a bootstrap, an agent and a thread, then `steps`.
    private func hosted(_ steps: String, cluster: String = "") -> String {
        "cluster:\n  profile: hosted\n\(cluster)steps:\n  - bootstrap: s\n  - agent: a\n  - thread: t\n    agent: a\n" + steps
    }

    @Test func fixesAndReproducesReachTheScenario() throws {
        let scenario = try ScenarioParser.parse(
            "reproduces: [dedup-after-purge]\ncluster:\n  profile: hosted\n  fixes: [zombie-child-recovery]\nsteps:\n  - wait: 1s\n", file: "h.yaml")
        #expect(scenario.reproduces == [.dedupAfterPurge])
        #expect(scenario.cluster.fixes == [.zombieChildRecovery])
        #expect(ScenarioValidator.validate(scenario).isEmpty)
    }

    @Test func theProfileAndHostedKnobsReachTheClusterBlock() throws {
        let scenario = try ScenarioParser.parse(
            """
            cluster:
              profile: hosted
              pods: 2
              keepalive: 200ms
              drain: 1s
              idleTimeout: 3s
              reapInterval: 1s
              livenessBeat: 700ms
              capacityBeat: 500ms
              dedupWindow: 1m
              progressThrottle: 100ms
              conductor: 2s
              runCap: 1
              podEnv:
                pod-2: {STUDIO_DISPATCH_ROLE: api}
            steps:
              - wait: 10ms
            """, file: "h.yaml")
        #expect(scenario.profile == .hosted)
        #expect(scenario.cluster.hosted == HostedSettings(
            idleTimeoutMillis: 3000, reapIntervalMillis: 1000, livenessBeatMillis: 700, capacityBeatMillis: 500, dedupWindowMillis: 60_000,
            progressThrottleMillis: 100, conductorDelayMillis: 2000, runCap: 1))
        #expect(scenario.cluster.timings.keepaliveMillis == 200)
        #expect(scenario.cluster.podEnvironment == ["pod-2": ["STUDIO_DISPATCH_ROLE": "api"]])
        #expect(ScenarioValidator.validate(scenario).isEmpty)
    }

    @Test func aScenarioNamingNoProfileIsSeedWithTheDefaultKnobs() throws {
        let scenario = try ScenarioParser.parse("steps:\n  - wait: 10ms\n", file: "s.yaml")
        #expect(scenario.cluster.profile == nil)
        #expect(scenario.profile == .seed)
        #expect(scenario.cluster.hosted == HostedSettings())
        #expect(scenario.cluster.hosted.conductorDelayMillis == nil, "no conductor unless asked for")
    }

    @Test func everyHostedFieldStepAndStreamConditionValidatesInHosted() throws {
        let scenario = try ScenarioParser.parse(
            hosted(
                """
                  - attach: w
                    thread: t
                  - send: hi
                    thread: t
                  - owner: t
                    into: o
                  - owner: t
                    of: gate
                    into: g
                    timeout: 5s
                  - await: w
                    stages: [waiting-runner, starting-run, analyzing-scope]
                    type: data-liveness
                  - eventually:
                      thread: t
                      status: failed
                      failureKind: liveness
                      failureReason: "liveness: no stream events for 6s"
                      executorPod: null
                      gatePod: {not: "${g}"}
                      fence: {not: null}
                      renderableParts: {atLeast: 1}
                      runCount: 1
                      capture: {f: fence, e: executorPod}
                  - check:
                      thread: t
                      fence: "${f}"
                      executorPod: pod-2
                """), file: "h.yaml")
        #expect(ScenarioValidator.validate(scenario).map(\.description) == [])
        guard case .owner(_, _, _, _, let role, _) = scenario.steps[6].kind else {
            Issue.record("step 7 is not an owner step")
            return
        }
        #expect(role == .gate)
        #expect(scenario.steps[6].label == "owner of t (gate) into g")
    }

    /// Each profile mismatch is an error at the key, switch or step that has it.
    @Test(arguments: [
        ("cluster:\n  idleTimeout: 3s\nsteps:\n  - wait: 1s\n", "2:3: cluster.idleTimeout applies to the hosted profile only"),
        ("cluster:\n  profile: seed\n  runCap: 2\nsteps:\n  - wait: 1s\n", "3:3: cluster.runCap applies to the hosted profile only"),
        ("cluster:\n  conductor: 2s\nsteps:\n  - wait: 1s\n", "2:3: cluster.conductor applies to the hosted profile only"),
        ("cluster:\n  profile: hosted\n  lease: 1s\nsteps:\n  - wait: 1s\n", "3:3: cluster.lease applies to the seed profile only"),
        ("cluster:\n  profile: hosted\n  poll: 10ms\nsteps:\n  - wait: 1s\n", "3:3: cluster.poll applies to the seed profile only"),
        ("cluster:\n  profile: hosted\n  bugs: [no-reclaim]\nsteps:\n  - wait: 1s\n", "3:10: bug switch no-reclaim applies to the seed profile only"),
        ("guards: [attach-deliver-new]\ncluster:\n  profile: hosted\nsteps:\n  - wait: 1s\n", "1:10: bug switch attach-deliver-new applies to the seed profile only"),
        ("guards: [no-hosted-cap]\nsteps:\n  - wait: 1s\n", "1:10: bug switch no-hosted-cap applies to the hosted profile only"),
        ("cluster:\n  fixes: [dedup-after-purge]\nsteps:\n  - wait: 1s\n", "2:11: open bug dedup-after-purge applies to the hosted profile only"),
        ("reproduces: [zombie-child-recovery]\nsteps:\n  - wait: 1s\n", "1:14: open bug zombie-child-recovery applies to the hosted profile only"),
        ("reproduces: [dedup-after-purge]\ncluster:\n  profile: hosted\n  fixes: [dedup-after-purge]\nsteps:\n  - wait: 1s\n",
         "1:1: the scenario reproduces dedup-after-purge but cluster.fixes turns its fix on"),
        ("cluster:\n  profile: hosted\n  fixes: [dedup-after-purg]\nsteps:\n  - wait: 1s\n", "3:11: unknown open bug id 'dedup-after-purg' (did you mean 'dedup-after-purge'?)"),
        ("cluster:\n  profile: hostd\nsteps:\n  - wait: 1s\n", "2:12: unknown profile 'hostd' (did you mean 'hosted'?); expected one of: seed, hosted"),
        ("cluster:\n  profile: hosted\n  runCap: 65\nsteps:\n  - wait: 1s\n", "3:11: cluster.runCap must be between 1 and 64"),
        ("cluster:\n  profile: hosted\n  idleTimeout: 0ms\nsteps:\n  - wait: 1s\n", "3:16: cluster.idleTimeout must be longer than 0ms"),
    ])
    func profileKnobsAndSwitchesBelongToTheirProfile(text: String, expected: String) {
        let error = parseError(text)
        #expect(error?.hasPrefix(expected) == true, "got \(error ?? "no error")")
    }

    @Test(arguments: [
        ("  - link-daemon: link-1\n", "8:5: link daemons do not exist in the hosted profile (removed by PR #5570)"),
        ("  - check:\n      thread: t\n      runState: running\n", "10:17: thread field 'runState' applies to the seed profile only"),
        ("  - check:\n      thread: t\n      attempt: 1\n", "10:16: thread field 'attempt' applies to the seed profile only"),
        ("  - check:\n      thread: t\n      owner: pod-1\n", "10:14: thread field 'owner' applies to the seed profile only (hosted: executorPod)"),
        ("  - check:\n      thread: t\n      status: failed\n      capture: {o: owner}\n", "9:7: thread field 'owner' applies to the seed profile only"),
        ("  - owner: t\n    into: o\n    attempt: 2\n", "10:5: owner … attempt: applies to the seed profile only"),
        ("  - check:\n      thread: t\n      failureKind: livenes\n", "10:20: unknown failureKind 'livenes' (did you mean 'liveness'?)"),
        ("  - check:\n      thread: t\n      executorPod: pod-7\n", "10:20: unknown pod 'pod-7'"),
        ("  - check:\n      thread: t\n      renderableParts: lots\n", "10:24: renderableParts must be a whole number, 0 or more, got 'lots'"),
        ("  - attach: w\n    thread: t\n  - await: w\n    stages: [waiting-runer]\n", "11:14: unknown stage 'waiting-runer' (did you mean 'waiting-runner'?)"),
        ("  - attach: w\n    thread: t\n  - await: w\n    stages: []\n", "11:13: stages needs at least one stage"),
        ("  - owner: t\n    into: o\n    of: child\n", "10:9: unknown owner role 'child'; expected one of: executor, gate"),
        ("  - bus: explode\n", "8:10: unknown bus action 'explode'"),
        ("  - bus: heal\n    on: pod-1\n", "8:10: bus: heal takes no 'on:', 'for:' or 'count:'"),
        ("  - bus: degrade\n    count: 2\n", "8:10: bus: degrade lasts 'for:' a duration"),
        ("  - bus: fail-consumer-open\n    for: 1s\n", "8:10: bus: fail-consumer-open is used up by 'count:' operations"),
        ("  - bus: refuse-publish\n    for: 11m\n", "8:10: bus: refuse-publish needs 'for:' between 1ms and 600s"),
        ("  - bus: degrade\n    on: pod-7\n", "9:9: unknown process 'pod-7'"),
    ])
    func hostedScenariosRefuseSeedStepsAndFields(step: String, expected: String) {
        let error = parseError(hosted(step))
        #expect(error?.hasPrefix(expected) == true, "got \(error ?? "no error")")
    }

    @Test(arguments: [
        ("  - check:\n      thread: t\n      failureKind: liveness\n", "8:20: thread field 'failureKind' applies to the hosted profile only"),
        ("  - check:\n      thread: t\n      executorPod: null\n", "8:20: thread field 'executorPod' applies to the hosted profile only"),
        ("  - check:\n      thread: t\n      renderableParts: 2\n", "8:24: thread field 'renderableParts' applies to the hosted profile only"),
        ("  - check:\n      thread: t\n      status: failed\n      capture: {f: fence}\n", "7:7: thread field 'fence' applies to the hosted profile only"),
        ("  - owner: t\n    into: o\n    of: gate\n", "8:5: owner … of: applies to the hosted profile only"),
        ("  - attach: w\n    thread: t\n  - await: w\n    stages: [starting-run]\n", "9:13: stages applies to the hosted profile only"),
        ("  - bus: restart\n", "6:5: bus applies to the hosted profile only"),
    ])
    func seedScenariosRefuseHostedFields(step: String, expected: String) {
        let error = parseError("steps:\n  - bootstrap: s\n  - agent: a\n  - thread: t\n    agent: a\n" + step)
        #expect(error?.hasPrefix(expected) == true, "got \(error ?? "no error")")
    }

    @Test func aProfileMismatchIsReportedWithTheFileLineAndColumn() throws {
        let scenario = try ScenarioParser.parse("cluster:\n  profile: seed\n  dedupWindow: 1m\nsteps:\n  - wait: 1s\n", file: "dir/x.yaml")
        #expect(ScenarioValidator.validate(scenario).map(\.description) == [
            "dir/x.yaml:3:3: error: cluster.dedupWindow applies to the hosted profile only"
        ])
    }

    // MARK: Loading

    private func directory(_ files: [String: String]) throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("podsim-profile-\(UUID().uuidString)").path
        for (path, text) in files {
            let file = root + "/" + path
            try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: file, atomically: true, encoding: .utf8)
        }
        return root
    }

    @Test func aDirectoryRunFindsSubdirectoriesInPathOrderAndNamesTheirScenariosByPath() throws {
        let root = try directory([
            "smoke.yaml": "steps:\n  - wait: 1ms\n",
            "hosted/smoke.yaml": "cluster:\n  profile: hosted\nsteps:\n  - wait: 1ms\n",
            "hosted/recovery/liveness.yml": "cluster:\n  profile: hosted\nsteps:\n  - wait: 1ms\n",
            "hosted/named.yaml": "name: hosted-named\ncluster:\n  profile: hosted\nsteps:\n  - wait: 1ms\n",
            "a-first.yaml": "steps:\n  - wait: 1ms\n",
            "hosted/notes.txt": "not a scenario",
        ])
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try ScenarioSuite.files([root]).map(\.defaultName) == [
            "a-first", "hosted/named", "hosted/recovery/liveness", "hosted/smoke", "smoke",
        ])
        let suite = try ScenarioSuite.load([root])
        #expect(suite.scenarios.map(\.name) == ["a-first", "hosted-named", "hosted/recovery/liveness", "hosted/smoke", "smoke"])
        #expect(suite.scenarios.map(\.profile) == [.seed, .hosted, .hosted, .hosted, .seed])
        #expect(try ScenarioSuite.load([root + "/hosted/smoke.yaml"]).scenarios.map(\.name) == ["smoke"], "a file named directly keeps its file name")
    }

    @Test func scenariosNamingNoProfileRunTheDefaultGiven() throws {
        let root = try directory([
            "plain.yaml": "cluster:\n  idleTimeout: 2s\nsteps:\n  - wait: 1ms\n",
            "seed.yaml": "cluster:\n  profile: seed\nsteps:\n  - wait: 1ms\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: root) }
        let hosted = try ScenarioSuite.load([root], profile: .hosted)
        #expect(hosted.scenarios.map(\.profile) == [.hosted, .seed], "a scenario that names its profile keeps it")
        #expect(hosted.scenarios[0].cluster.hosted.idleTimeoutMillis == 2000)
        #expect {
            try ScenarioSuite.load([root])
        } throws: { error in
            (error as? ScenarioErrors)?.errors.map(\.message) == ["cluster.idleTimeout applies to the hosted profile only"]
        }
    }
}
