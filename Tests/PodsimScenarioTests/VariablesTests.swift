import Foundation
import PodsimModel
import Testing

@testable import PodsimScenario

@Suite struct VariablesTests {
    private func template(_ raw: String) -> Template {
        Template(raw: raw, location: SourceLocation(file: "v.yaml", line: 7, column: 3))
    }

    @Test func interpolatesNamesFieldsAndBuiltins() throws {
        var variables = Variables()
        variables["s.orgSlug"] = "acme"
        variables["t"] = "thread-1"
        variables["t.id"] = "thread-1"
        #expect(try variables.resolve(template("/api/${s.orgSlug}/threads/${t.id}/stream")) == "/api/acme/threads/thread-1/stream")
        #expect(try variables.resolve(template("no references")) == "no references")
        #expect(try variables.resolve(template("${t}${t}")) == "thread-1thread-1")
        let first = try variables.resolve(template("${uuid}"))
        let second = try variables.resolve(template("${uuid}"))
        #expect(UUID(uuidString: first) != nil)
        #expect(first != second, "every ${uuid} is fresh")
        let now = try #require(Int64(try variables.resolve(template("${now}"))))
        #expect(abs(now - wallClockMillis()) < 60_000)
    }

    /// A value put into a request path is one segment however it is spelled (`a/b`, `x?y`), one
    /// query value after `?`; what the author wrote is kept as written.
    @Test func valuesInARequestPathArePercentEncoded() throws {
        var variables = Variables()
        variables["t.id"] = "a/b"
        variables["q"] = "x&y=z #1"
        #expect(try variables.resolve(path: template("/api/o/threads/${t.id}/stream")) == "/api/o/threads/a%2Fb/stream")
        #expect(try variables.resolve(path: template("/x/${q}?thread=${t.id}&q=${q}")) == "/x/x&y=z%20%231?thread=a/b&q=x%26y%3Dz%20%231")
        #expect(try variables.resolve(path: template("/written%2Fas-is")) == "/written%2Fas-is")
        #expect(try variables.resolve(template("/api/o/threads/${t.id}")) == "/api/o/threads/a/b", "other templates are not encoded")
        #expect(Workload.thread(inPath: "/api/o/threads/a%2Fb/stream") == "a/b")
    }

    @Test func anUndefinedVariableFailsAtTheTemplate() {
        let variables = Variables()
        #expect {
            try variables.resolve(template("x ${missing} y"))
        } throws: { error in
            let failure = error as? StepFailure
            return failure?.location.line == 7 && failure?.expected == "variable 'missing' to be defined"
        }
    }

    @Test func resolvesTemplatesInsideJSON() throws {
        var variables = Variables()
        variables["a.id"] = "agent-9"
        let value = TemplateValue.object([
            ("agent", .object([("id", .string(template("${a.id}")))])), ("n", .number(2)), ("ok", .bool(true)), ("none", .null),
        ])
        #expect(try variables.resolve(value) == ["agent": ["id": "agent-9"], "n": 2, "ok": true, "none": nil])
    }

    @Test func templatesListTheirReferencesWithColumns() throws {
        let references = try template("GET /api/${s.orgSlug}/x/${t.id}").references()
        #expect(references.map(\.name) == ["s", "t"])
        #expect(references.map(\.key) == ["s.orgSlug", "t.id"])
        #expect(references.map(\.location.column) == [12, 27])
    }

    @Test func jsonMatchingIsASubsetMatchWithPaths() {
        let body: JSONValue = ["user": ["id": "u1", "email": "a@b"], "count": 2, "items": ["x", "y"]]
        #expect(body.matches(["user": ["id": "u1"]]))
        #expect(!body.matches(["user": ["id": "u2"]]))
        #expect(body.matches(["count": "2"]), "numbers match their text")
        #expect(!body.matches(["items": ["x"]]), "arrays match element by element")
        #expect(body.at(path: "user.id") == "u1")
        #expect(body.at(path: "$.items.1") == "y")
        #expect(body.at(path: "items.5") == nil)
    }

    @Test func durationsReadAndPrintTheSameWay() {
        #expect(Duration(podsim: "250ms") == .milliseconds(250))
        #expect(Duration(podsim: "1.5s") == .milliseconds(1500))
        #expect(Duration(podsim: "2m") == .seconds(120))
        #expect(Duration(podsim: "2") == nil)
        #expect(Duration(podsim: "-1s") == nil)
        #expect(Duration.milliseconds(1500).podsimText == "1.5s")
        #expect(Duration.seconds(3).podsimText == "3s")
    }
}
