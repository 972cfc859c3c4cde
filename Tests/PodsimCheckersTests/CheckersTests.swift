import PodsimHistory
import Testing

@testable import PodsimCheckers

/// `Checkers.run`: one verdict per checker, in name order, each with its profile's property.
@Suite struct CheckersTests {
    @Test func oneVerdictPerCheckerInNameOrder() {
        let verdicts = Checkers.run(HistoryScript().history)
        #expect(verdicts.map(\.checker) == CheckerName.allCases)
        #expect(verdicts.allSatisfy { $0.validity == .pass })
    }

    @Test func everyCheckerStatesItsPropertyForBothProfiles() {
        for checker in Checkers.all {
            for profile in ["seed", "hosted"] {
                let property = checker.property(profile: profile)
                #expect(property.hasSuffix("."), "\(checker.name) \(profile)")
                #expect(Checkers.run(HistoryScript(profile).history).first { $0.checker == checker.name }?.property == property)
            }
        }
    }

    @Test func aCleanRunPassesEveryChecker() {
        var script = HistoryScript()
        script.request("POST", "/api/auth/sign-up/email", at: 0, status: 200, op: "bootstrap")
        script.attach("a", on: "pod-2", at: 1)
        script.attach("b", on: "pod-3", at: 2)
        script.send(at: 10)
        script.claim(at: 30)
        script.providerCall(at: 35)
        script.append(1...8, from: 40)
        script.deliver(1...8, to: "a", on: "pod-2", from: 42)
        script.deliver(1...8, to: "b", on: "pod-3", from: 43)
        script.project(["text:chunk-1 chunk-2 "], at: 130)
        script.finish(at: 130)
        script.detach("a", on: "pod-2", at: 140, reason: "ended")
        script.detach("b", on: "pod-3", at: 140, reason: "ended")
        let verdicts = Checkers.run(script.history)
        #expect(verdicts.filter { $0.validity != .pass }.map(\.checker) == [])
    }

    @Test func aFailingCheckerNamesItsEvents() throws {
        var script = HistoryScript()
        script.request("GET", "/api/threads", on: "pod-2", at: 5, status: 500)
        let verdict = try #require(Checkers.run(script.history).first { $0.validity == .fail })
        #expect(verdict.checker == .no5xx)
        #expect(verdict.violations.first?.indices == [0])
        #expect(verdict.note == nil)
    }
}
