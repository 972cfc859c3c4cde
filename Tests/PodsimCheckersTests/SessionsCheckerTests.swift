import PodsimHistory
import Testing

@testable import PodsimCheckers

/// `sessions` on hand-written calls: a signed-out cookie must stop working everywhere.
@Suite struct SessionsCheckerTests {
    private func check(_ script: HistoryScript) -> Verdict { SessionsChecker().check(script.history, bounds: .init()) }

    private func signedOut() -> HistoryScript {
        var script = HistoryScript()
        script.request("GET", "/api/auth/get-session", on: "pod-1", at: 10, status: 200)
        script.request("POST", "/api/auth/sign-out", on: "pod-2", at: 100, status: 200)
        return script
    }

    @Test func theDefaultBoundIsOneSecond() {
        #expect(CheckerBounds().sessionsNanos == 1_000_000_000)
    }

    @Test func rejectedEverywhereAfterSignOutPasses() {
        var script = signedOut()
        script.request("GET", "/api/auth/get-session", on: "pod-1", at: 120, status: 200)  // within the bound
        script.request("GET", "/api/auth/get-session", on: "pod-1", at: 1200, status: 401)
        script.request("GET", "/api/auth/get-session", on: "pod-3", at: 1300, status: 401)
        #expect(check(script).validity == .pass)
    }

    @Test func aPodStillAcceptingTheCookieFails() throws {
        var script = signedOut()
        for (index, at) in [300, 1300, 2300, 4800].enumerated() {
            script.request("GET", "/api/auth/get-session", on: "pod-1", at: at, status: 200)
            script.request("GET", "/api/auth/get-session", by: "bob", on: "pod-3", at: at + index, status: 200)
        }
        let violation = try #require(check(script).violations.first)
        #expect(violation.message == "alice signed out on pod-2 (answered at 105.0 ms), yet 3 get-session calls started after 1105.0 ms were answered 200 (by pod-1), the first on pod-1 at 1300.0 ms")
        #expect(check(script).violations.count == 1)
    }

    @Test func signingInAgainStartsANewSession() {
        var script = signedOut()
        script.request("POST", "/api/auth/sign-in/email", at: 500, status: 200)
        script.request("GET", "/api/auth/get-session", on: "pod-3", at: 2000, status: 200)
        #expect(check(script).validity == .pass)
    }
}
