import PodsimHistory
import Testing

@testable import PodsimCheckers

/// `no-5xx` on hand-written calls.
@Suite struct NoServerErrorsCheckerTests {
    private func check(_ script: HistoryScript) -> Verdict { NoServerErrorsChecker().check(script.history, bounds: .init()) }

    @Test func clearRefusalsAndADrainingReadinessPass() {
        var script = HistoryScript()
        script.request("POST", "/api/threads/t1/messages", at: 10, status: 409)
        script.request("GET", "/health/ready", on: "pod-2", at: 20, status: 503)
        script.request("GET", "/control/calls", on: "mock-ai", at: 30, status: 500)
        script.request("GET", "/api/threads/t1", on: "pod-3", at: 40, status: nil)
        #expect(check(script).validity == .pass)
    }

    @Test func aPodAnswering500Fails() throws {
        var script = HistoryScript()
        script.add(.request, at: 10) {
            $0.caller = "alice"; $0.process = "pod-2"; $0.method = "POST"; $0.path = "/api/threads/t1/messages"; $0.status = 500
            $0.error = "No link daemon registered"
        }
        script.attach("w", on: "pod-3", at: 20, status: 502)
        let verdict = check(script)
        #expect(verdict.violations.map(\.message) == [
            "pod-2 answered 500 to POST /api/threads/t1/messages by alice at 10.0 ms: No link daemon registered",
            "pod-3 answered 502 to attach of w by alice at 20.0 ms",
        ])
    }
}
