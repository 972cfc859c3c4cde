import Foundation
import PodsimModel
import Testing

@testable import PodsimScenario

/// The forms issue 13 item 8 (the rest) added to the language: each parses into what it says,
/// and each mistake in one is named at its file, line and column.
@Suite struct LanguageAdditionsTests {
    private func steps(_ yaml: String) throws -> [Step] {
        let scenario = try ScenarioParser.parse(yaml, file: "b.yaml")
        let errors = ScenarioValidator.validate(scenario)
        if let first = errors.first { throw first }
        return scenario.steps
    }

    private let prelude = "steps:\n  - bootstrap: s\n  - agent: a\n  - thread: t\n    agent: a\n"

    @Test func aCaptureReadsABodyPathOrAHeader() throws {
        let parsed = try steps("steps:\n  - request: GET /x\n    capture: {c: header.Set-Cookie, u: user.id, h: $.header.x}\n  - request: GET /${c}/${u}/${h}\n")
        guard case .request(let request) = parsed[0].kind else { throw ScenarioError(parsed[0].location, "not a request") }
        #expect(request.captures.map(\.name) == ["c", "u", "h"])
        #expect(request.captures.map(\.source) == [.header("set-cookie"), .body(path: "user.id"), .body(path: "$.header.x")])
        #expect(request.captures[0].location == SourceLocation(file: "b.yaml", line: 3, column: 18))
    }

    @Test func anAttachExpectingARefusalKeepsNoWatcher() throws {
        let parsed = try steps(prelude + "  - attach: w\n    thread: t\n    expect: {status: [403, 404]}\n")
        guard case .attach(_, _, _, _, let expect) = parsed[3].kind else { throw ScenarioError(parsed[3].location, "not an attach") }
        #expect(expect == .anyOf([403, 404]))
        #expect(parseError(prelude + "  - attach: w\n    thread: t\n    expect: {status: 403}\n  - await: w\n    contains: x\n")
            == "9:5: unknown watcher 'w'")
        #expect(try steps(prelude + "  - attach: w\n    thread: t\n    expect: {status: {atMost: 299}}\n  - await: w\n    contains: x\n").count == 5,
            "a status that may be 2xx keeps the watcher")
        #expect(parseError(prelude + "  - attach: w\n    thread: t\n  - attach: w\n    thread: t\n    expect: {status: 403}\n  - detach: w\n")
            == "11:5: unknown watcher 'w'", "a refused attach replaces the watcher of its name with none")
    }

    @Test func aRepeatRunsItsStepsWithAnIndex() throws {
        let parsed = try steps(prelude + "  - repeat: 16\n    index: i\n    steps:\n      - send: \"many:1 n${i}\"\n        thread: t\n  - repeat: 2\n    index: i\n    steps:\n      - wait: 1ms\n")
        guard case .loop(let times, let index, let inner) = parsed[3].kind else { throw ScenarioError(parsed[3].location, "not a repeat") }
        #expect(times == 16 && index == "i")
        #expect(inner.map(\.label) == ["send \"many:1 n${i}\" to t on pod-1"])
        #expect(inner[0].location == SourceLocation(file: "b.yaml", line: 9, column: 9))
        #expect(parsed[3].label == "repeat 16 times (${i})")
    }

    @Test func aWithinBlockHoldsItsSteps() throws {
        let parsed = try steps("steps:\n  - within: 9s\n    steps:\n      - wait: 1ms\n      - parallel:\n          - wait: 1ms\n")
        guard case .within(let limit, let inner) = parsed[0].kind else { throw ScenarioError(parsed[0].location, "not within") }
        #expect(limit == .seconds(9))
        #expect(inner.count == 2)
        #expect(parsed[0].label == "within 9s (2 steps)")
    }

    @Test func anyAndNotInChooseAPod() throws {
        let parsed = try steps("steps:\n  - bootstrap: s\n    on: any\n  - kill: {notIn: [pod-1, pod-2]}\n  - request: GET /x\n    on: {notIn: pod-3}\n")
        guard case .bootstrap(_, let any) = parsed[0].kind, case .fault(_, let target, _) = parsed[1].kind,
            case .request(let request) = parsed[2].kind
        else { throw ScenarioError(parsed[0].location, "unexpected steps") }
        #expect(any.choice == .anyPod(excluding: []))
        #expect(target.description == "any pod but pod-1, pod-2")
        #expect(request.pod.description == "any pod but pod-3")
        #expect(any.location == SourceLocation(file: "b.yaml", line: 3, column: 9))
    }

    /// Every mistake in the new forms names its place and what was expected there.
    @Test(arguments: [
        ("steps:\n  - request: GET /x\n    capture: {c: \"header.\"}\n", "3:18: capture c: 'header.' needs a header name after 'header.', e.g. header.set-cookie"),
        ("steps:\n  - request: GET /x\n    capture: {c: \"header.a b\"}\n", "3:18: capture c: 'header.a b' needs a header name after 'header.', e.g. header.set-cookie"),
        ("steps:\n  - bootstrap: s\n  - agent: a\n  - thread: t\n    agent: a\n  - attach: w\n    thread: t\n    expect: {stauts: 403}\n",
            "8:14: unknown key in attach.expect 'stauts' (did you mean 'status'?); expected one of: status"),
        ("steps:\n  - bootstrap: s\n  - agent: a\n  - thread: t\n    agent: a\n  - attach: w\n    thread: t\n    expect: {}\n",
            "8:13: attach.expect needs status:, the status the stream must answer"),
        ("steps:\n  - bootstrap: s\n  - agent: a\n  - thread: t\n    agent: a\n  - attach: w\n    thread: t\n    expect: {status: 99}\n",
            "8:22: expect.status must be between 100 and 599"),
        ("steps:\n  - repeat: 5000\n    steps: [{wait: 1ms}]\n", "2:13: repeat must be between 1 and 1000"),
        ("steps:\n  - repeat: 2\n", "2:5: 'repeat' needs 'steps:', the steps it runs"),
        ("steps:\n  - repeat: 2\n    steps: []\n", "3:12: repeat.steps needs at least one step"),
        ("steps:\n  - repeat: 2\n    indx: i\n    steps: [{wait: 1ms}]\n", "3:5: unknown key in 'repeat' step 'indx' (did you mean 'index'?); expected one of: index, steps"),
        ("steps:\n  - repeat: 2\n    steps:\n      - sleap: 1ms\n", "4:9: unknown step 'sleap'"),
        ("steps:\n  - repeat: 2\n    index: i\n    steps:\n      - wait: 1ms\n  - request: GET /${i}\n", "6:19: undefined variable 'i'; defined so far: now, uuid"),
        ("steps:\n  - repeat: 2\n    index: i\n    steps:\n      - repeat: 2\n        index: i\n        steps: [{wait: 1ms}]\n",
            "6:9: the index 'i' is already a variable here; name it otherwise"),
        ("steps:\n  - parallel:\n      - repeat: 2\n        index: i\n        steps: [{wait: 1ms}]\n      - within: 1s\n        steps:\n          - repeat: 2\n            index: i\n            steps: [{wait: 1ms}]\n",
            "9:13: the index 'i' is also a repeat index in another step of this parallel block; name one otherwise"),
        ("steps:\n  - repeat: 2\n    index: uuid\n    steps: [{wait: 1ms}]\n", "2:5: 'uuid' is a built-in variable (${uuid}); define another name"),
        ("steps:\n  - within: soon\n    steps: [{wait: 1ms}]\n", "2:13: within: bad duration 'soon'; write it like 500ms, 2s, 1.5s or 1m, at most 1440m"),
        ("steps:\n  - within: 2s\n    steps:\n      - wait: 1ms\n        for: 2s\n", "5:9: unknown key 'for': a 'wait' step takes no options"),
        ("steps:\n  - bootstrap: s\n    on: {notin: pod-1}\n", "3:10: unknown key in on 'notin' (did you mean 'notIn'?); expected one of: notIn"),
        ("steps:\n  - bootstrap: s\n    on: {notIn: [pod-7]}\n", "3:18: notIn lists pods; 'pod-7' is not a pod of this cluster (did you mean 'pod-1'?)"),
        ("steps:\n  - bootstrap: s\n    on: {notIn: []}\n", "3:17: on.notIn lists no pod; write any for any running pod"),
        ("cluster:\n  pods: 2\nsteps:\n  - kill: {notIn: [pod-1, pod-2]}\n", "4:11: notIn excludes every pod of this cluster; no pod is left to choose"),
        ("steps:\n  - bootstrap: s\n  - link-daemon: any\n", "3:5: 'any' in on: means any running pod; name the link daemon otherwise"),
    ])
    func aMistakeInANewFormIsNamedWhereItWasWritten(yaml: String, expected: String) {
        let error = parseError(yaml)
        #expect(error?.hasPrefix(expected) == true, "\(error ?? "no error")")
    }

    /// Two mistakes inside one block are both reported, in file order.
    @Test func everyMistakeInsideABlockIsReported() {
        let parsed = ScenarioParser.parsing("steps:\n  - within: 5s\n    steps:\n      - sleap: 1ms\n      - wait: never\n  - frobnicate: 1\n", file: "b.yaml")
        #expect(parsed.errors.map { "\($0.location.line):\($0.location.column)" } == ["4:9", "5:15", "6:5"])
    }
}
