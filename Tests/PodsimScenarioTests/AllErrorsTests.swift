import Testing

@testable import PodsimScenario

/// Every problem of a file in one pass, in file order, with suggestions.
@Suite struct AllErrorsTests {
    private func problems(_ text: String) -> [String] {
        ScenarioParser.parsing(text, file: "f.yaml").errors.map { "\($0.location.line):\($0.location.column): \($0.message)" }
    }

    /// The example: a mistake on line 2 no longer hides the one on line 3.
    @Test func twoBadStepsAreBothReported() {
        let found = problems("steps:\n  - sleep: 10ms\n  - frobnicate: { pod: pod-1 }\n")
        #expect(found.count == 2)
        #expect(found.first?.hasPrefix("2:5: unknown step 'sleep' (did you mean 'wait'?)") == true, "\(found)")
        #expect(found.last?.hasPrefix("3:5: unknown step 'frobnicate'; expected one of:") == true, "\(found)")
    }

    @Test func problemsOfEveryKindComeInFileOrder() {
        let found = problems("naem: x\ncluster:\n  pods: 0\ntimeout: forever\nsteps:\n  - assert: {thread: t}\n  - wait: 1ms\n  - send: hi\n")
        #expect(found.map { $0.split(separator: ":").prefix(2).joined(separator: ":") } == ["1:1", "3:9", "4:10", "6:5", "8:5"], "\(found)")
        #expect(found[0].contains("(did you mean 'name'?)"))
        #expect(found[3].contains("(did you mean 'check'?)"))
    }

    @Test func synonymsFromOtherToolsGetSuggestions() {
        for (word, meant) in [("sleep", "wait"), ("assert", "check"), ("poll", "eventually"), ("post", "send"), ("subscribe", "attach"), ("terminate", "stop")] {
            let found = problems("steps:\n  - \(word): x\n")
            #expect(found.first?.contains("(did you mean '\(meant)'?)") == true, "\(word): \(found)")
        }
    }

    @Test func aValidFileHasNoProblemsAndTheFirstIsWhatParseThrows() throws {
        #expect(ScenarioParser.parsing("steps:\n  - wait: 1ms\n", file: "f.yaml").scenario != nil)
        #expect(throws: ScenarioError.self) { try ScenarioParser.parse("steps:\n  - sleep: 1ms\n  - nap: 1ms\n", file: "f.yaml") }
        #expect(problems("steps: []\n") == ["1:8: 'steps' is empty: a scenario needs at least one step"])
        #expect(problems("name: x\n") == ["1:1: missing 'steps': a scenario needs at least one step"])
    }
}

/// Names and processes the validator refuses before anything runs.
@Suite struct ValidatorNamingTests {
    private let setup = "steps:\n  - bootstrap: s\n  - agent: a\n  - thread: t\n    agent: a\n"

    @Test func aNameThatShadowsABuiltInIsAnError() {
        #expect(parseError(setup + "  - record: now\n") == "6:5: 'now' is a built-in variable (${now}); define another name")
        #expect(parseError(setup + "  - owner: t\n    into: uuid\n") == "6:5: 'uuid' is a built-in variable (${uuid}); define another name")
        #expect(parseError(setup + "  - record: started\n") == nil)
    }

    @Test func aThreadCheckAimedAtAProcessThatIsNotAPodIsRejected() {
        #expect(parseError(setup + "  - check:\n      thread: t\n      on: mock-ai\n      status: completed\n")
            == "8:11: a thread check asks a pod; mock-ai cannot answer it (on: pod-1 … pod-3)")
        #expect(parseError(setup + "  - check:\n      thread: t\n      on: pod-2\n      status: completed\n") == nil)
    }
}
