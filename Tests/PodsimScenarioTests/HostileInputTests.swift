import Foundation
import Testing

@testable import PodsimScenario

/// Inputs from the hostile-input audit: each used to crash the parser, cost a gigabyte, or pass
/// validation only to fail when run. Each must now fail at file:line:column before anything boots.
@Suite struct HostileInputTests {
    /// Durations are decimal, longer than 0ms and at most a day, in every field that takes one.
    @Test(arguments: [
        ("steps:\n  - wait: 1e19ms\n", "2:11: wait: bad duration '1e19ms'"),
        ("steps:\n  - wait: 1e16m\n", "2:11: wait: bad duration '1e16m'"),
        ("steps:\n  - wait: 0x10s\n", "2:11: wait: bad duration '0x10s'"),
        ("steps:\n  - wait: 99999999999999999999999999999999999999999ms\n", "2:11: wait: bad duration"),
        ("steps:\n  - wait: 1441m\n", "2:11: wait: bad duration '1441m'; write it like 500ms, 2s, 1.5s or 1m, at most 1440m"),
        ("steps:\n  - wait: infs\n", "2:11: wait: bad duration 'infs'"),
        ("steps:\n  - wait: nanms\n", "2:11: wait: bad duration 'nanms'"),
        ("steps:\n  - wait: +1s\n", "2:11: wait: bad duration '+1s'"),
        ("steps:\n  - wait: 5.s\n", "2:11: wait: bad duration '5.s'"),
        ("steps:\n  - wait: 1.2.3s\n", "2:11: wait: bad duration '1.2.3s'"),
        ("steps:\n  - wait: 0ms\n", "2:11: wait must be longer than 0ms"),
        ("steps:\n  - wait: 0.4ms\n", "2:11: wait must be longer than 0ms"),
        ("timeout: 1e300s\nsteps:\n  - wait: 1s\n", "1:10: timeout: bad duration '1e300s'"),
        ("timeout: 0ms\nsteps:\n  - wait: 1s\n", "1:10: timeout must be longer than 0ms"),
        ("cluster:\n  lease: 1e300ms\nsteps:\n  - wait: 1s\n", "2:10: cluster.lease: bad duration '1e300ms'"),
        ("cluster:\n  drain: 1e19ms\nsteps:\n  - wait: 1s\n", "2:10: cluster.drain: bad duration '1e19ms'"),
        ("steps:\n  - await: w\n    type: finish\n    timeout: 1e19ms\n", "4:14: timeout: bad duration '1e19ms'"),
        ("steps:\n  - eventually: {providerCalls: t, equals: 1}\n    interval: 0ms\n", "3:15: interval must be longer than 0ms"),
        ("steps:\n  - stable: {providerCalls: t, equals: 1}\n    for: 1e19ms\n", "3:10: for: bad duration '1e19ms'"),
        ("steps:\n  - owner: t\n    into: o\n    timeout: 0s\n", "4:14: timeout must be longer than 0ms"),
        ("steps:\n  - link-daemon: l\n    ttl: 1e16m\n", "3:10: ttl: bad duration '1e16m'"),
    ])
    func durationsAreDecimalPositiveAndBounded(text: String, expected: String) {
        let error = parseError(text)
        #expect(error?.hasPrefix(expected) == true, "got \(error ?? "no error")")
    }

    /// A link daemon's name names its log file and goes on its command line.
    @Test func linkDaemonNamesAreProcessNames() {
        let long = String(repeating: "l", count: 64)
        #expect(parseError("steps:\n  - link-daemon: \(long)\n")?.hasPrefix("2:18: link-daemon needs a process name") == true)
        #expect(parseError("steps:\n  - link-daemon: -l\n") != nil)
        #expect(parseError("steps:\n  - link-daemon: Link_1\n    as: s\n")?.contains("process name") != true)
    }

    @Test func durationsAcceptWhatTheShippedFilesWrite() {
        #expect(Duration(podsim: "1440m") == .seconds(86_400))
        #expect(Duration(podsim: "1.5s") == .milliseconds(1500))
        #expect(Duration(podsim: ".5s") == .milliseconds(500))
        #expect(Duration(podsim: "0.5ms") == .milliseconds(1))
        #expect(Duration(podsim: "007s") == .seconds(7))
        for text in ["1e19ms", "1E3s", "0x10s", "1.s", "1..5s", "1.5.5s", "-0s", "s", "ms", "日s", "١s", "1 s", "1441m"] {
            #expect(Duration(podsim: text) == nil, "\(text)")
        }
    }

    /// Whole numbers are bounded where they are written, so no huge one reaches the runner.
    @Test(arguments: [
        ("steps:\n  - owner: t\n    into: o\n    attempt: 99999999999999999999999\n", "4:14: attempt must be a whole number, got '99999999999999999999999'"),
        ("steps:\n  - owner: t\n    into: o\n    attempt: 0\n", "4:14: attempt must be between 1 and 1000000, got 0"),
        ("steps:\n  - owner: t\n    into: o\n    attempt: 9223372036854775807\n", "4:14: attempt must be between 1 and 1000000"),
        ("steps:\n  - check: {watcher: w, count: {x: -1}}\n", "2:36: count of x must be between 0 and 1000000, got -1"),
        ("steps:\n  - check: {watcher: w, frames: {atLeast: 0}}\n", "2:43: frames.atLeast must be between 1 and 1000000, got 0"),
        ("steps:\n  - request: GET /x\n    expect: {status: 42}\n", "3:22: expect.status must be between 100 and 599, got 42"),
        ("cluster:\n  pods: 99999999999999999999\nsteps:\n  - wait: 1s\n", "2:9: cluster.pods must be a whole number"),
        ("steps:\n  - request: POST /x\n    json: {n: 1e400}\n", "3:15: '1e400' is not a finite number; quote it to mean the text"),
        ("steps:\n  - request: POST /x\n    json: {n: -inf}\n", "3:15: '-inf' is not a finite number"),
    ])
    func numbersAreBounded(text: String, expected: String) {
        let error = parseError(text)
        #expect(error?.hasPrefix(expected) == true, "got \(error ?? "no error")")
    }

    /// Values a thread field never has are rejected, naming what it can have.
    @Test(arguments: [
        ("runState: bogus", "8:17: unknown runState 'bogus'; expected one of: queued, running, completed, failed"),
        ("runState: complete", "8:17: unknown runState 'complete' (did you mean 'completed'?)"),
        ("status: {not: done}", "8:21: unknown status 'done'; expected one of: completed, in_progress, failed"),
        ("status: null", "8:15: status must be one of completed, in_progress, failed, got 'null'"),
        ("sandboxProviderKind: dockr", "8:28: unknown sandboxProviderKind 'dockr' (did you mean 'docker'?)"),
        ("partCount: 日", "8:18: partCount must be a whole number, 0 or more, got '日'"),
        ("partCount: -1", "8:18: partCount must be a whole number, 0 or more, got '-1'"),
        ("partCount: 1.5", "8:18: partCount must be a whole number, 0 or more, got '1.5'"),
        ("attempt: [1]", "8:16: attempt must be a whole number, 0 or more or null, got a list or mapping"),
        ("runState: {atLeast: 1}", "8:18: atLeast compares numbers, but runState is one of queued"),
        ("owner: 5", "8:14: owner must be a pod name such as pod-1 or null, got '5'"),
        ("owner: pod-9", "8:14: unknown pod 'pod-9'"),
    ])
    func threadFieldsTakeOnlyValuesTheyCanHave(field: String, expected: String) {
        let text = "steps:\n  - bootstrap: s\n  - agent: a\n  - thread: t\n    agent: a\n  - check:\n      thread: t\n      \(field)\n"
        let error = parseError(text)
        #expect(error?.hasPrefix(expected) == true, "got \(error ?? "no error")")
    }

    @Test func validValuesOfEveryKindStillParse() throws {
        let scenario = try ScenarioParser.parse(
            """
            steps:
              - bootstrap: s
              - agent: a
              - thread: t
                agent: a
              - owner: t
                into: o
                attempt: 2
              - check:
                  thread: t
                  runState: null
                  status: {not: in_progress}
                  owner: pod-2
                  partCount: "3"
                  attempt: {atLeast: 1}
                  error: cancelled
                  sandboxProviderKind: remote-user
                  runCount: "${o}"
                  capture: {parts: partCount}
              - check: {providerCalls: t, equals: {atMost: 2}}
              - check: {store: "SELECT count(*) FROM run", equals: anything}
              - attach: w
                thread: t
              - check: {watcher: w, stampedAfter: "${parts}", count: {x: 0}}
            """, file: "ok.yaml")
        #expect(ScenarioValidator.validate(scenario).isEmpty)
    }

    /// `${…}` must be closed and name a variable or one of its fields; the runner agrees.
    @Test(arguments: [
        ("  - release: \"g-${o\"\n", "9:17: '${' has no closing '}'"),
        ("  - release: \"${s.orgId.next.next}\"\n", "9:15: bad reference '${s.orgId.next.next}'; write ${name} or ${name.field}"),
        ("  - release: \"${ s }\"\n", "9:15: bad reference '${ s }'"),
        ("  - release: \"${}\"\n", "9:15: bad reference '${}'"),
        ("  - release: \"${s.}\"\n", "9:15: bad reference '${s.}'"),
        ("  - release: \"${s.orgIdx}\"\n", "9:15: unknown field of 's' 'orgIdx' (did you mean 'orgId'?)"),
        ("  - release: \"${o.nxt}\"\n", "9:15: unknown field of 'o' 'nxt' (did you mean 'next'?)"),
        ("  - release: \"${at.x}\"\n", "9:15: 'at' has no fields, so '${at.x}' is never defined"),
        ("  - release: \"${uuid.x}\"\n", "9:15: 'uuid' has no fields"),
        ("  - kill: \"${o\"\n", "9:12: '${' has no closing '}'"),
    ])
    func referencesAreWellFormedAndDefined(step: String, expected: String) {
        let text = "steps:\n  - bootstrap: s\n  - agent: a\n  - thread: t\n    agent: a\n  - owner: t\n    into: o\n  - record: at\n" + step
        let error = parseError(text)
        #expect(error?.hasPrefix(expected) == true, "got \(error ?? "no error")")
    }

    @Test func definedFieldsOfEveryKindValidate() throws {
        let scenario = try ScenarioParser.parse(
            """
            steps:
              - bootstrap: s
              - agent: a
              - thread: t
                agent: a
              - owner: t
                into: o
              - record: at
              - request: GET /x
                capture: {c: id}
              - request: "POST /api/${s.orgSlug}/${s.orgId}/${s.userId}/${s.apiKey}/${s.cookie}/${a.id}/${t.id}/${o.next}/${o.prev}/${at}/${c}/${uuid}/${now}"
            """, file: "ok.yaml")
        #expect(ScenarioValidator.validate(scenario).isEmpty)
    }

    @Test func capturedNamesMustBeNames() {
        let error = parseError("steps:\n  - request: GET /x\n    capture: {\"a b\": id}\n")
        #expect(error == "3:15: capture needs a name made of letters, digits, '_' or '-', got 'a b'")
    }

    @Test func theRunnerRejectsAnUnterminatedReferenceAsAStepFailure() {
        let template = Template(raw: "x ${o", location: SourceLocation(file: "v.yaml", line: 3, column: 9))
        #expect {
            try Variables().resolve(template)
        } throws: { error in
            let failure = error as? StepFailure
            return failure?.location == SourceLocation(file: "v.yaml", line: 3, column: 11) && failure?.actual == "'${' has no closing '}'"
        }
    }

    /// Anchors and aliases are rejected where written, before any alias is expanded.
    @Test(arguments: [
        ("steps:\n  - &w {wait: 1s}\n  - *w\n", "2:5: YAML anchors (&name) are not supported in scenarios"),
        ("steps:\n  - wait: 1s\n  - *w\n", "3:5: YAML aliases (*name) are not supported in scenarios"),
        ("name: &n x\nsteps:\n  - wait: 1s\n", "1:7: YAML anchors"),
        ("steps:\n  - request: POST /x\n    json: [a, *b]\n", "3:15: YAML aliases"),
        ("steps:\n  - request: POST /x\n    json: {*b : 1}\n", "3:12: YAML aliases"),
        ("steps:\n  - request: POST /x\n    json:\n      ? *b\n      : 1\n", "4:9: YAML aliases"),
    ])
    func anchorsAndAliasesFailWhereWritten(text: String, expected: String) {
        let error = parseError(text)
        #expect(error?.hasPrefix(expected) == true, "got \(error ?? "no error")")
    }

    /// The "billion laughs": 7 levels of 9 aliases would be 4.8 million nodes; it used to take a
    /// gigabyte and many seconds. It now fails at the first anchor without expanding anything.
    @Test func anAliasBombFailsWithoutExpanding() {
        var lines = ["steps:", "  - request: POST /x", "    json:", "      a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]"]
        let names = Array("abcdefghijklmnop")
        for level in 1..<16 {
            lines.append("      \(names[level]): &\(names[level]) [" + Array(repeating: "*\(names[level - 1])", count: 9).joined(separator: ",") + "]")
        }
        let started = ContinuousClock.now
        let error = parseError(lines.joined(separator: "\n"))
        #expect(ContinuousClock.now - started < .seconds(1))
        #expect(error?.hasPrefix("4:10: YAML anchors (&name) are not supported") == true, "got \(error ?? "no error")")
    }

    /// `*` and `&` inside text are text, and a value may start with them when quoted.
    @Test func starsAndAmpersandsInTextAreText() throws {
        let scenario = try ScenarioParser.parse(
            """
            steps:
              - bootstrap: s
              - check:
                  store: SELECT count(*) FROM part WHERE a = 'x&y' -- *
                  equals: "*1"
              - release: "*g"
              - release: '&h'
              - release: a*b \u{E000}*
            """, file: "stars.yaml")
        guard case .check(let check) = scenario.steps[1].kind, case .store(let sql) = check.subject else { Issue.record(); return }
        #expect(sql.raw == "SELECT count(*) FROM part WHERE a = 'x&y' -- *")
        #expect(scenario.steps.dropFirst(2).map(\.label) == ["release gate *g", "release gate &h", "release gate a*b \u{E000}*"])
    }

    @Test func deepNestingFailsWithoutCrashing() {
        for depth in [100, 990] {
            let deep = "steps:\n  - request: POST /x\n    json: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n"
            #expect(parseError(deep) == "3:72: nested more than 64 levels deep")
        }
        let deeper = "steps:\n  - request: POST /x\n    json: " + String(repeating: "[", count: 5000) + "\n"
        #expect(parseError(deeper)?.contains("invalid YAML") == true)
    }

    @Test func aFileLargerThanTheLimitIsNotRead() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("podsim-large-\(UUID().uuidString).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = "steps:\n  - wait: 1s\n" + String(repeating: "# padding\n", count: 30_000)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ScenarioError(SourceLocation(file: path, line: 1, column: 1), YAMLNode.tooLarge)) {
            try ScenarioParser.parse(file: path)
        }
        #expect(parseError(text) == "1:1: \(YAMLNode.tooLarge)")
    }

    @Test func controlCharactersFailWhereTheyAre() {
        #expect(parseError("steps:\n  - wait: 1s\u{1}\n")?.hasPrefix("2:13: invalid YAML: control characters are not allowed") == true)
    }

    /// Suggestions stay cheap however long the word or however many the names.
    @Test func suggestionsStayCheap() {
        let started = ContinuousClock.now
        #expect(suggestion(for: String(repeating: "a", count: 200_000), in: ["a", String(repeating: "a", count: 200_001)]) == nil)
        #expect(suggestion(for: "n10001x", in: (10_000..<20_000).map { "n\($0)" }) == nil)
        #expect(ContinuousClock.now - started < .seconds(1))
        #expect(suggestion(for: "bootsrap", in: ScenarioParser.stepKeys) == "bootstrap")
    }

    @Test func validationStopsAfterTheErrorLimit() throws {
        let steps = (0..<500).map { "  - release: ${undefined\($0)}\n" }.joined()
        let scenario = try ScenarioParser.parse("steps:\n" + (0..<500).map { "  - record: r\($0)\n" }.joined() + steps, file: "many.yaml")
        let errors = ScenarioValidator.validate(scenario)
        #expect(errors.count == ScenarioValidator.errorLimit + 1)
        #expect(errors.last?.message == "stopping after \(ScenarioValidator.errorLimit) errors")
        #expect(errors.first?.message.hasSuffix("and 482 more") == true, "\(errors.first?.message ?? "")")
    }
}
