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

    /// Every mistake in the new forms names its place and what was expected there.
    @Test(arguments: [
        ("steps:\n  - request: GET /x\n    capture: {c: \"header.\"}\n", "3:18: capture c: 'header.' needs a header name after 'header.', e.g. header.set-cookie"),
        ("steps:\n  - request: GET /x\n    capture: {c: \"header.a b\"}\n", "3:18: capture c: 'header.a b' needs a header name after 'header.', e.g. header.set-cookie"),
    ])
    func aMistakeInANewFormIsNamedWhereItWasWritten(yaml: String, expected: String) {
        let error = parseError(yaml)
        #expect(error?.hasPrefix(expected) == true, "\(error ?? "no error")")
    }
}
