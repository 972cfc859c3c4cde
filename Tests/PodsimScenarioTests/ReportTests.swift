import Foundation
import PodsimModel
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

@testable import PodsimScenario

@Suite struct ReportTests {
    static let failed = ScenarioResult(
        name: "pod-death-replay", file: "Scenarios/pod-death-replay.yaml", bugs: ["resume-without-purge"], passed: false,
        seconds: 3.25, stepsRun: 9,
        failure: .init(
            step: "check watcher late", location: "Scenarios/pod-death-replay.yaml:53:9", expected: "'chunk-1 ' exactly 1 time",
            actual: "2 times <in> \"frames\" & \u{1B}[31mmore"),
        stateDirectory: "/tmp/podsim-x", logs: [.init(process: "pod-1", path: "/tmp/podsim-x/logs/pod-1.log", lines: "pod-1: claimed run 1\npod-1: done")])
    static let passed = ScenarioResult(
        name: "cluster-smoke", file: "Scenarios/cluster-smoke.yaml", bugs: [], passed: true, seconds: 1.5, stepsRun: 12,
        failure: nil, stateDirectory: nil, logs: [])

    @Test func junitIsWellFormedXMLWithOneCasePerRun() throws {
        let xml = JUnitReport.xml([Self.passed, Self.failed], seconds: 4.75)
        let document = try XMLDocument(xmlString: xml)
        let suites = try #require(document.rootElement())
        #expect(suites.name == "testsuites")
        #expect(suites.attribute(forName: "tests")?.stringValue == "2")
        #expect(suites.attribute(forName: "failures")?.stringValue == "1")
        let cases = try document.nodes(forXPath: "//testcase").compactMap { $0 as? XMLElement }
        #expect(cases.map { $0.attribute(forName: "name")?.stringValue } == ["cluster-smoke", "pod-death-replay [bug: resume-without-purge]"])
        #expect(cases[0].elements(forName: "failure").isEmpty)
        let failure = try #require(cases[1].elements(forName: "failure").first)
        #expect(failure.attribute(forName: "message")?.stringValue?.contains("2 times <in> \"frames\" &") == true)
        #expect(failure.stringValue?.contains("pod-1: claimed run 1") == true, "the log tail travels with the failure")
        #expect(cases[1].attribute(forName: "time")?.stringValue == "3.250")
    }

    @Test func colourOnlyOnATerminalAndNeverWithNoColor() {
        #expect(ConsolePaint.deciding(isTerminal: true, environment: [:]).enabled)
        #expect(!ConsolePaint.deciding(isTerminal: false, environment: [:]).enabled, "piped output stays plain")
        #expect(!ConsolePaint.deciding(isTerminal: true, environment: ["NO_COLOR": "1"]).enabled)
        #expect(ConsolePaint.deciding(isTerminal: true, environment: ["NO_COLOR": ""]).enabled, "an empty NO_COLOR does not count")
        #expect(!ConsolePaint.deciding(isTerminal: true, environment: ["TERM": "dumb"]).enabled)
        let colour = ConsolePaint(enabled: true)
        #expect(ConsoleReport.finished(Self.passed, position: "[1/2]", paint: colour) == "[1/2] \u{1B}[32m✔ cluster-smoke\u{1B}[0m (1.5s)")
        #expect(ConsoleReport.finished(Self.passed, position: "[1/2]") == "[1/2] ✔ cluster-smoke (1.5s)")
        #expect(ConsoleReport.summary([Self.passed, Self.failed], seconds: 1, paint: colour) == "1 passed, \u{1B}[31m1 failed\u{1B}[0m (1.0s)")
        #expect(ConsoleReport.failure(Self.failed, paint: colour).hasPrefix("\u{1B}[31m\u{1B}[1mFAILED pod-death-replay"))
    }

    @Test func theFailureReportSaysWhereWhatAndWhereToLook() {
        let report = ConsoleReport.failure(Self.failed)
        #expect(report.contains("at:       Scenarios/pod-death-replay.yaml:53:9"))
        #expect(report.contains("expected: 'chunk-1 ' exactly 1 time"))
        #expect(report.contains("state:    /tmp/podsim-x"))
        #expect(report.contains("--- pod-1: last lines of /tmp/podsim-x/logs/pod-1.log ---\n  | pod-1: claimed run 1"))
        #expect(ConsoleReport.failure(Self.passed).isEmpty)
        #expect(ConsoleReport.summary([Self.passed, Self.failed], seconds: 4.75) == "1 passed, 1 failed (4.8s)")
    }

    @Test func jsonReportCarriesTotalsAndResults() throws {
        let data = try JSONReport([Self.passed, Self.failed], seconds: 4.75).encoded()
        let decoded = try JSONDecoder().decode(JSONReport.self, from: data)
        #expect(decoded.passed == 1)
        #expect(decoded.failed == 1)
        #expect(decoded.results.map(\.name) == ["cluster-smoke", "pod-death-replay"])
    }

    @Test func proveTableMarksCaughtEscapedAndCleanFailures() {
        var escaped = Self.passed
        escaped.bugs = ["no-reclaim"]
        let verdicts = [
            ProveVerdict(profile: .seed, result: Self.passed), ProveVerdict(bug: .resumeWithoutPurge, profile: .seed, result: Self.failed),
            ProveVerdict(bug: .noReclaim, profile: .seed, result: escaped), ProveVerdict(profile: .seed, result: Self.failed),
        ]
        #expect(verdicts.map(\.holds) == [true, true, false, false])
        let rows = ProveVerdict.table(verdicts).split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).prefix(4).joined(separator: " ") }
        #expect(rows == [
            "PROFILE SCENARIO SWITCH RESULT", "seed cluster-smoke (none) passes", "seed pod-death-replay resume-without-purge caught",
            "seed cluster-smoke no-reclaim ESCAPED", "seed pod-death-replay (none) FAILS",
        ])
    }

    /// An open bug is reproduced when its scenario passes on the default, and fixed when the
    /// same scenario fails with the candidate fix on.
    @Test func openBugsAreReportedReproducedAndFixed() {
        var fixedRun = Self.failed
        fixedRun.name = "hosted-pod-death"
        var cleanRun = Self.passed
        cleanRun.name = "hosted-pod-death"
        let verdicts = [
            ProveVerdict(profile: .hosted, result: cleanRun), ProveVerdict(fix: .dedupAfterPurge, profile: .hosted, result: fixedRun),
        ]
        #expect(verdicts.map(\.holds) == [true, true])
        #expect(ProveVerdict.table(verdicts).contains("--fix dedup-after-purge  symptom gone"))
        #expect(ProveVerdict.openBugs(verdicts, profiles: [.hosted]) == [
            "dedup-after-purge: reproduced on the default; fixed by --fix dedup-after-purge (hosted-pod-death)",
            "zombie-child-recovery: reproduced by no scenario",
        ])
        #expect(ProveVerdict.openBugs(verdicts, profiles: [.seed]).isEmpty)
        let stays = [ProveVerdict(profile: .hosted, result: cleanRun), ProveVerdict(fix: .dedupAfterPurge, profile: .hosted, result: cleanRun)]
        #expect(ProveVerdict.openBugs(stays, profiles: [.hosted]).first?.contains("NOT fixed by --fix dedup-after-purge") == true)
    }
}
