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
    ])
    func aMistakeInANewFormIsNamedWhereItWasWritten(yaml: String, expected: String) {
        let error = parseError(yaml)
        #expect(error?.hasPrefix(expected) == true, "\(error ?? "no error")")
    }
}
