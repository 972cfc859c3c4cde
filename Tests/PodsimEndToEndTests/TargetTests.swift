import Foundation
import PodsimClient
import PodsimModel
import Testing

/// A `podsim up` cluster started for a test, stopped (and its state removed) by `stop()`.
private func startedUp(_ arguments: [String]) async throws -> (up: UpProcess, description: TargetDescription) {
    let up = try UpProcess.start(arguments)
    _ = try await up.description()
    let data = try Data(contentsOf: URL(fileURLWithPath: up.stateDirectory + "/cluster.json"))
    return (up, try JSONDecoder().decode(TargetDescription.self, from: data))
}

private func stop(_ up: UpProcess) {
    if up.process.isRunning {
        up.process.interrupt()
        up.process.waitUntilExit()
    }
    try? FileManager.default.removeItem(atPath: up.stateDirectory)
}

/// The `N passed, N failed, N skipped` counts of a run's summary line.
private func counts(_ output: String) -> [Int] {
    guard let line = output.split(separator: "\n").last(where: { $0.contains(" passed, ") }) else { return [] }
    return line.split(separator: " ").compactMap { Int($0) }
}

extension EndToEnd {
    /// `podsim run --target`: scenarios on a cluster podsim did not boot for them.
    @Suite(.serialized) struct ExternalTargets {
        @Test func theSuitePassesOrSkipsWithReasonsOnAPodsimUpCluster() async throws {
            let (up, _) = try await startedUp(["--pods", "3", "--env", "STUDIO_SANDBOX_RUNNER=docker"])
            defer { stop(up) }
            let junit = temporaryPath("target.xml")
            defer { try? FileManager.default.removeItem(atPath: junit) }
            let result = try await podsim(["run", "Scenarios/", "--target", up.stateDirectory + "/cluster.json", "--junit", junit], in: packageRoot)
            #expect(result.status == 0, "\(result.output)")
            // Scenarios of the cluster's shape ran, faults through its control API included.
            for ran in ["cluster-smoke", "attach-cross-pod", "pod-death-replay", "pause-fencing", "rollout-churn"] {
                #expect(result.output.contains("✔ \(ran) ("), "\(ran) ran and passed")
            }
            // The others say why not.
            #expect(result.output.contains("- hosted-cluster-smoke skipped: needs the hosted profile; the target runs seed"))
            #expect(result.output.contains("- graceful-shutdown-recovery skipped: needs settings.timings.leaseMillis = 10000; the target has 1000"))
            #expect(result.output.contains("- projector-parity skipped: needs 2 pods; the target has 3"))
            let summary = counts(result.output)
            #expect(summary.count == 3 && summary[1] == 0, "\(summary)")
            let skipped = summary.count == 3 ? summary[2] : -1
            let xml = try String(contentsOfFile: junit, encoding: .utf8)
            #expect(xml.contains(#"skipped="\#(skipped)""#))
            #expect(xml.components(separatedBy: "<skipped message=").count - 1 == skipped)
            #expect(xml.contains(#"<skipped message="needs the hosted profile; the target runs seed"/>"#))
            // The killed and paused pods were put back: the next user finds the cluster as it was.
            let description = try await up.description()
            let control = try #require(description["control"]?["url"]?.stringValue)
            let states = try await ControlClient(url: control).processes().processes.map(\.state)
            #expect(states.allSatisfy { $0 == .running }, "\(states)")
        }

        @Test func faultCommandsStandInForTheControlAPI() async throws {
            let (up, cluster) = try await startedUp(["--pods", "3", "--env", "STUDIO_SANDBOX_RUNNER=docker"])
            defer { stop(up) }
            let control = try #require(cluster.control?.url)
            var target = cluster
            target.control = nil
            target.faults = FaultCommands(
                kill: "curl -fsS -X POST \(control)/processes/{name}/kill", stop: "curl -fsS -X POST \(control)/processes/{name}/stop",
                start: "curl -fsS -X POST \(control)/processes/{name}/start", pause: "curl -fsS -X POST \(control)/processes/{name}/pause",
                resume: "curl -fsS -X POST \(control)/processes/{name}/resume")
            let file = up.stateDirectory + "/target.json"
            try JSONEncoder().encode(target).write(to: URL(fileURLWithPath: file))
            let result = try await podsim(["run", "Scenarios/", "--filter", "death", "--target", file], in: packageRoot)
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("✔ pod-death-replay ("), "\(result.output)")
            let logs = try await podsim(["run", "Scenarios/pause-fencing.yaml", "--target", file], in: packageRoot)
            #expect(logs.status == 0)
            #expect(logs.output.contains("skipped: checks process logs; the target has no control URL to find them"), "\(logs.output)")
            let states = try await ControlClient(url: control).processes().processes.map(\.state)
            #expect(states.allSatisfy { $0 == .running }, "\(states)")

            // A fault command that fails fails its step, with what the command printed.
            target.faults?.kill = "echo cannot reach {name} >&2; exit 3"
            try JSONEncoder().encode(target).write(to: URL(fileURLWithPath: file))
            let failing = try await podsim(["run", "Scenarios/pod-death-replay.yaml", "--target", file], in: packageRoot)
            #expect(failing.status == 1)
            #expect(failing.output.contains("failed: exited(3): cannot reach pod-"), "\(failing.output)")
        }

        @Test func aBadTargetFileIsRefusedBeforeAnythingRuns() async throws {
            let file = temporaryPath("target.json")
            defer { try? FileManager.default.removeItem(atPath: file) }
            let pods = #"[{"name": "pod-1", "url": "http://127.0.0.1:1"}]"#
            for (text, problem) in [
                ("{", "is not JSON"),
                (#"{"pods": \#(pods)}"#, "missing mockAI"),
                (#"{"pods": [{"name": "web", "url": "http://127.0.0.1:1"}], "mockAI": {"url": "http://127.0.0.1:2"}}"#,
                    #"pods[0] is named "web"; scenarios name pods pod-1 … pod-N, in that order"#),
                (#"{"pods": \#(pods), "mockAI": {"url": "ftp://x"}}"#, #"mockAI: "ftp://x" is not an http URL"#),
                (#"{"pods": \#(pods), "mockAI": {"url": "http://127.0.0.1:2"}, "faults": {"kill": "docker kill"}}"#,
                    "faults.kill does not name the process: write {name} where its name goes"),
                (#"{"pods": \#(pods), "mockAI": {"url": "http://127.0.0.1:2"}, "bugs": ["no-such-bug"]}"#, #"bugs: "no-such-bug" is no bug switch"#),
            ] {
                try Data(text.utf8).write(to: URL(fileURLWithPath: file))
                let result = try await podsim(["run", "Scenarios/cluster-smoke.yaml", "--target", file], in: packageRoot)
                #expect(result.status == 2, "\(text)")
                #expect(result.output.contains("target \(file): \(problem)"), "\(text): \(result.output)")
            }
            try Data(repeating: 0x20, count: TargetDescription.maxFileBytes + 1).write(to: URL(fileURLWithPath: file))
            let huge = try await podsim(["run", "Scenarios/cluster-smoke.yaml", "--target", file], in: packageRoot)
            #expect(huge.status == 2)
            #expect(huge.output.contains("is over 1024 KiB"), "\(huge.output)")
            let missing = try await podsim(["run", "Scenarios/cluster-smoke.yaml", "--target", file + ".absent"], in: packageRoot)
            #expect(missing.status == 2)
            #expect(missing.output.contains("cannot be read"))
        }
    }
}
