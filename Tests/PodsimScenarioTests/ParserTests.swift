import Foundation
import PodsimModel
import Testing

@testable import PodsimScenario

/// Parses `text` as if it were the file `name`, expecting an error; returns "line:column: message".
func parseError(_ text: String, file name: String = "bad.yaml") -> String? {
    do {
        let scenario = try ScenarioParser.parse(text, file: name)
        let errors = ScenarioValidator.validate(scenario)
        return errors.first.map { "\($0.location.line):\($0.location.column): \($0.message)" }
    } catch let error as ScenarioError {
        #expect(error.location.file == name)
        return "\(error.location.line):\(error.location.column): \(error.message)"
    } catch {
        return "unexpected \(error)"
    }
}

@Suite struct ParserTests {
    /// `podsim schema` prints exactly the committed Scenarios/scenario.schema.json.
    @Test func theCommittedSchemaIsWhatPodsimSchemaPrints() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Scenarios/scenario.schema.json").standardized.path
        let committed = try String(contentsOfFile: path, encoding: .utf8)
        #expect(committed == ScenarioSchema.json(), "run `podsim schema > Scenarios/scenario.schema.json` and commit it")
        let schema = try #require(try JSONSerialization.jsonObject(with: Data(committed.utf8)) as? [String: Any])
        let definitions = try #require(schema["$defs"] as? [String: Any])
        let step = try #require(definitions["step"] as? [String: Any])
        let kinds = try #require(step["oneOf"] as? [[String: Any]])
        let required = kinds.compactMap { ($0["required"] as? [String])?.first }
        #expect(required == ScenarioParser.stepKeys, "one alternative per step kind, in order")
        for kind in kinds {
            let name = try #require((kind["required"] as? [String])?.first)
            let keys = try #require(kind["properties"] as? [String: Any]).keys
            #expect(Set(keys) == Set([name] + (ScenarioParser.stepOptions[name] ?? [])), "\(name) takes its own options")
            #expect(kind["additionalProperties"] as? Bool == false)
        }
        #expect(committed.contains("\"no-reclaim\"") && committed.contains("\"dedup-after-purge\"") && committed.contains("\"single-execution\""))
    }

    /// Every scenario shipped in Scenarios/ parses and validates, and together they guard every bug.
    @Test func theShippedSuiteIsValidAndGuardsEveryBug() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Scenarios").standardized.path
        let suite = try ScenarioSuite.load([directory])
        #expect(suite.scenarios.count >= 14)
        let guarded = Set(suite.scenarios.flatMap(\.guards))
        #expect(guarded == Set(BugSwitch.allCases))
        for scenario in suite.scenarios {
            let text = try String(contentsOfFile: scenario.file, encoding: .utf8)
            let lines = text.split(separator: "\n", maxSplits: 2)
            let depth = scenario.file.dropFirst(directory.count + 1).filter { $0 == "/" }.count
            let schema = depth == 0 ? "./scenario.schema.json" : String(repeating: "../", count: depth) + "scenario.schema.json"
            #expect(lines.first == "# yaml-language-server: $schema=\(schema)", "\(scenario.file) names the schema for editors")
            #expect(lines.dropFirst().first?.hasPrefix("# ") == true, "\(scenario.file) then says what it protects")
        }
    }

    /// The every-step fixture the end-to-end tests run, with its hosted counterpart (bus faults
    /// are hosted only), really uses every step kind.
    @Test func theEveryStepFixturesCoverEveryStepKind() throws {
        var used: Set<String> = []
        for name in ["every-step.yaml", "every-hosted-step.yaml"] {
            let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fixtures/\(name)").standardized.path
            let text = try String(contentsOfFile: path, encoding: .utf8)
            used.formUnion(text.split(separator: "\n").compactMap { line -> String? in
                let trimmed = line.drop { $0 == " " }
                guard trimmed.hasPrefix("- ") else { return nil }
                return trimmed.dropFirst(2).split(separator: ":").first.map(String.init)
            })
            #expect(ScenarioValidator.validate(try ScenarioParser.parse(file: path)).isEmpty, "\(name)")
        }
        #expect(Set(ScenarioParser.stepKeys).subtracting(used).isEmpty, "unused: \(Set(ScenarioParser.stepKeys).subtracting(used))")
    }

    @Test func aFullScenarioParsesIntoSteps() throws {
        let scenario = try ScenarioParser.parse(
            """
            name: demo
            guards: [attach-deliver-new]
            cluster:
              pods: 2
              env: {STUDIO_SANDBOX_RUNNER: docker}
              podEnv:
                pod-2: {PODSIM_DOCKER_AVAILABLE: "1"}
              bugs: [no-reclaim]
              lease: 1.5s
              poll: 50ms
            timeout: 45s
            steps:
              - bootstrap: s
              - agent: a
                title: helper
              - thread: t
                agent: a
                on: pod-2
              - send: "slow:3x10"
                thread: t
              - owner: t
                into: o
              - kill: "${o}"
                record: killedAt
              - stable:
                  thread: t
                  partCount: {atMost: 2}
                for: 500ms
            """, file: "demo.yaml")
        #expect(scenario.name == "demo")
        #expect(scenario.guards == [.attachDeliverNew])
        #expect(scenario.cluster.pods == 2)
        #expect(scenario.cluster.environment == ["STUDIO_SANDBOX_RUNNER": "docker"])
        #expect(scenario.cluster.podEnvironment == ["pod-2": ["PODSIM_DOCKER_AVAILABLE": "1"]])
        #expect(scenario.cluster.bugs == [.noReclaim])
        #expect(scenario.cluster.timings.leaseMillis == 1500)
        #expect(scenario.cluster.timings.pollMillis == 50)
        #expect(scenario.timeout == .seconds(45))
        #expect(scenario.steps.map(\.label) == [
            "bootstrap s on pod-1", "agent a", "thread t", "send \"slow:3x10\" to t on pod-1", "owner of t into o",
            "kill ${o}", "stable thread t (for 500ms)",
        ])
        #expect(scenario.steps[2].location == SourceLocation(file: "demo.yaml", line: 16, column: 5))
        #expect(ScenarioValidator.validate(scenario).isEmpty)
    }

    @Test func theDefaultNameIsTheFileName() throws {
        let scenario = try ScenarioParser.parse("steps:\n  - wait: 10ms\n", file: "dir/my-check.yaml")
        #expect(scenario.name == "my-check")
        #expect(scenario.cluster == ClusterBlock())
    }

    /// Each bad file fails at the exact place of the mistake, saying what was expected there.
    @Test(arguments: [
        ("steps:\n  - bootsrap: s\n", "2:5: unknown step 'bootsrap' (did you mean 'bootstrap'?)"),
        ("steps:\n  - wait: 2 seconds\n", "2:11: wait: bad duration '2 seconds'; write it like 500ms, 2s, 1.5s or 1m, at most 1440m"),
        ("cluster:\n  bugs: [no-reclam]\nsteps:\n  - wait: 1s\n", "2:10: unknown bug id 'no-reclam' (did you mean 'no-reclaim'?)"),
        ("guards: [double]\nsteps:\n  - wait: 1s\n", "1:10: unknown bug id 'double'"),
        ("steps:\n  - bootstrap: s\n  - record: t0\n  - request: GET /x/${t1}\n", "4:21: undefined variable 't1' (did you mean 't0'?)"),
        ("steps:\n  - bootstrap: s\n  - kill: pod-4\n", "3:11: unknown process 'pod-4' (did you mean 'pod-1'?)"),
        ("cluster:\n  pods: 0\nsteps:\n  - wait: 1s\n", "2:9: cluster.pods must be between 1 and 64"),
        ("cluster:\n  lease: 0ms\nsteps:\n  - wait: 1s\n", "2:10: cluster.lease must be longer than 0ms"),
        ("nme: x\nsteps:\n  - wait: 1s\n", "1:1: unknown key in a scenario 'nme' (did you mean 'name'?)"),
        ("steps:\n  - bootstrap: s\n    onn: pod-2\n", "3:5: unknown key in 'bootstrap' step 'onn' (did you mean 'on'?)"),
        ("steps:\n  - agent: a\n", "2:5: this step needs 'as:' naming its caller (a bootstrap); no bootstrap comes before it"),
        ("steps:\n  - request: FETCH /x\n", "2:14: request must be 'METHOD /path' with METHOD one of GET, POST, PUT, PATCH, DELETE, got 'FETCH /x'"),
        ("steps:\n  - check:\n      thread: t\n", "3:7: this check expects nothing; add a condition such as status:, equals:, contains: or count:"),
        ("steps:\n  - send: hi\n", "2:5: 'send' needs 'thread:'"),
        ("steps: [\n", "2:1: invalid YAML: while parsing a flow node did not find expected node content"),
        ("", "1:1: the file is empty; expected a scenario mapping"),
        ("name: x\n", "1:1: missing 'steps': a scenario needs at least one step"),
        ("steps:\n  - detach: w\n", "2:5: unknown watcher 'w'"),
        ("steps:\n  - bootstrap: s\n  - stable:\n      providerCalls: t\n      equals: 1\n", "4:7: stable needs 'for:', the window it must hold"),
    ])
    func badFilesNameTheLineAndColumn(text: String, expected: String) {
        let error = parseError(text)
        #expect(error?.hasPrefix(expected) == true, "got \(error ?? "no error")")
    }

    @Test func validationReportsEveryProblemNotJustTheFirst() throws {
        let scenario = try ScenarioParser.parse("steps:\n  - kill: pod-9\n  - release: ${gate}\n  - detach: nobody\n", file: "many.yaml")
        let errors = ScenarioValidator.validate(scenario)
        #expect(errors.map(\.location.line) == [2, 3, 4])
        #expect(errors.map(\.description)[1].hasPrefix("many.yaml:3:14: error: undefined variable 'gate'"))
    }

    @Test func loadingADirectoryReportsErrorsFromEveryFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("podsim-parse-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "steps:\n  - wiat: 1s\n".write(toFile: directory + "/a.yaml", atomically: true, encoding: .utf8)
        try "steps:\n  - wait: 1s\n".write(toFile: directory + "/b.yaml", atomically: true, encoding: .utf8)
        try "name: b\nsteps:\n  - wait: soon\n".write(toFile: directory + "/c.yml", atomically: true, encoding: .utf8)
        #expect {
            try ScenarioSuite.load([directory])
        } throws: { error in
            let errors = (error as? ScenarioErrors)?.errors ?? []
            return errors.map { "\(URL(fileURLWithPath: $0.location.file).lastPathComponent):\($0.location.line)" } == ["a.yaml:2", "c.yml:3"]
        }
    }
}
