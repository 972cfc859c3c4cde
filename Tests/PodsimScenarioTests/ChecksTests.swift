import Foundation
import PodsimClient
import PodsimModel
import Testing

@testable import PodsimScenario

/// The checks are pure functions of what a run recorded, so each is tried here on hand-made
/// transcripts and thread views, once where it holds and once where it must fail.
@Suite struct ChecksTests {
    private let at = SourceLocation(file: "c.yaml", line: 9, column: 5)

    private func template(_ raw: String) -> Template { Template(raw: raw, location: at) }
    private func expect(_ kind: PodsimScenario.Expectation.Kind) -> PodsimScenario.Expectation { PodsimScenario.Expectation(kind: kind, location: at) }

    private func frame(_ chunk: UIChunk) -> String {
        String(decoding: try! JSONEncoder().encode(chunk), as: UTF8.self)
    }

    private func failure(_ kinds: [PodsimScenario.Expectation.Kind], _ transcript: Transcript, _ variables: Variables = Variables()) throws -> StepFailure? {
        try Checks.transcript(kinds.map(expect), transcript, variables: variables)
    }

    private var run: [String] {
        [
            frame(.start(messageId: "m")), frame(.startStep), frame(.textStart(id: "t1")),
            frame(.textDelta(id: "t1", delta: "t1700000000123 chunk-1 ")), frame(.textDelta(id: "t1", delta: "t1700000000456 chunk-2 ")),
            frame(.textEnd(id: "t1")), frame(.finishStep), frame(.finish),
        ]
    }

    @Test func chunkOneIsFoundOnceAndItsAbsenceFails() throws {
        let transcript = Transcript.stream(run)
        #expect(try failure([.contains(template("chunk-1 ")), .count(template("chunk-1 "), 1)], transcript) == nil)
        let missing = try #require(try failure([.contains(template("chunk-1 "))], .stream(Array(run.dropFirst(3).dropFirst()))))
        #expect(missing.expected == "'chunk-1 ' to appear")
        #expect(missing.location == at)
        let twice = try #require(try failure([.count(template("chunk-1 "), 1)], .stream(run + [run[3]])))
        #expect(twice.actual.hasPrefix("2 times"))
    }

    @Test func aRepeatedContentChunkIsADuplicateButRepeatedFramingIsNot() throws {
        #expect(try failure([.noDuplicates], .stream(run + [frame(.startStep), frame(.finishStep)])) == nil)
        let duplicate = try #require(try failure([.noDuplicates], .stream(run + [run[4]])))
        #expect(duplicate.expected == "no frame received twice")
        #expect(duplicate.actual.hasPrefix("frames 5 and 9"))
    }

    @Test func chunkTypesAreReadFromDecodedChunks() throws {
        #expect(try failure([.chunkType(template("finish")), .chunkType(template("text-delta"))], .stream(run)) == nil)
        let noFinish = try #require(try failure([.chunkType(template("finish"))], .stream(Array(run.dropLast()))))
        #expect(noFinish.expected == "a finish chunk")
        // A delta whose text merely mentions a finish chunk is not one.
        let mention = frame(.textDelta(id: "t1", delta: #"{"type":"finish"}"#))
        #expect(try failure([.chunkType(template("finish"))], .stream([mention])) != nil)
    }

    @Test func stampedAfterNeedsAStampLaterThanTheBound() throws {
        var variables = Variables()
        variables["killedAt"] = "1700000000200"
        #expect(try failure([.stampedAfter(template("${killedAt}"))], .stream(run), variables) == nil)
        variables["killedAt"] = "1700000000456"
        let late = try #require(try failure([.stampedAfter(template("${killedAt}"))], .stream(run), variables))
        #expect(late.expected == "a chunk stamped after 1700000000456")
        #expect(late.actual.hasPrefix("stamps 1700000000123, 1700000000456"))
        let notATime = try #require(try failure([.stampedAfter(template("soon"))], .stream(run)))
        #expect(notATime.expected == "a time in ms for stampedAfter")
    }

    @Test func framesAtLeastCountsEveryFrame() throws {
        #expect(try failure([.framesAtLeast(8)], .stream(run)) == nil)
        let short = try #require(try failure([.framesAtLeast(9)], .stream(run, ended: true, failure: "reset")))
        #expect(short.expected == "at least 9 frames")
        #expect(short.actual.hasPrefix("8 frames, stream ended: reset"))
    }

    @Test func orderAndNotContainsReadTheText() throws {
        #expect(try failure([.order([template("chunk-1 "), template("chunk-2 ")]), .notContains(template("chunk-3 "))], .stream(run)) == nil)
        let reversed = try #require(try failure([.order([template("chunk-2 "), template("chunk-1 ")])], .stream(run)))
        #expect(reversed.actual == "'chunk-2 ' at frame 5, 'chunk-1 ' at frame 4")
        #expect(try failure([.notContains(template("chunk-2 "))], .stream(run)) != nil)
    }

    @Test func logLinesAreCheckedAsText() throws {
        let log = Transcript.log(["pod-1 listening", "pod-1: fenced write refused"], path: "/tmp/pod-1.log")
        #expect(try failure([.contains(template("fenced"))], log) == nil)
        let missing = try #require(try failure([.contains(template("panic"))], log))
        #expect(missing.actual.hasPrefix("2 lines of /tmp/pod-1.log"))
    }

    // MARK: Hosted frames

    private func stage(_ name: String) -> String { #"{"type":"data-run-status","id":"run-status","data":{"stage":"\#(name)"}}"# }

    /// A hosted turn as a watcher sees it: stages and the user mirror (unfenced) among the chunks.
    private var hostedRun: [String] {
        [stage("waiting-runner"), stage("starting-run"), stage("waiting-capacity"), stage("waiting-capacity"), stage("gathering-context"),
         #"{"type":"data-user-message","data":{"id":"m1","role":"user","parts":[{"type":"text","text":"hi"}]}}"#,
         stage("starting-assistant"), frame(.start(messageId: "asst-1")), stage("analyzing-scope"),
         frame(.textDelta(id: "t1", delta: "chunk-1 ")), #"{"type":"data-liveness","data":{"t":1700000000999},"transient":true}"#,
         #"{"type":"abort"}"#]
    }

    @Test func stagesAreAnOrderedSubsequenceOfFirstAppearances() {
        let received = ["waiting-runner", "starting-run", "waiting-capacity", "starting-run", "waiting-capacity", "gathering-context"]
        #expect(Checks.stages(["waiting-runner", "starting-run", "gathering-context"], received: received, at: at) == nil)
        #expect(Checks.stages(["starting-run", "waiting-capacity"], received: received, at: at) == nil)
        let reversed = Checks.stages(["waiting-capacity", "starting-run"], received: received, at: at)
        #expect(reversed?.expected == "stages waiting-capacity, starting-run in this order")
        #expect(reversed?.actual == "stages waiting-runner, starting-run, waiting-capacity, starting-run, waiting-capacity, gathering-context")
        let missing = Checks.stages(["analyzing-scope"], received: ["waiting-capacity", "waiting-capacity", "waiting-capacity"], at: at)
        #expect(missing?.actual == "stages waiting-capacity (×3)")
        #expect(Checks.stages(["starting-run"], received: [], at: at)?.actual == "no data-run-status frame")
    }

    @Test func newFrameTypesAreKeptByTheirTypeAndStagesReadFromThem() throws {
        let transcript = Transcript.stream(hostedRun)
        #expect(transcript.stages == ["waiting-runner", "starting-run", "waiting-capacity", "waiting-capacity", "gathering-context", "starting-assistant", "analyzing-scope"])
        let types = ["data-run-status", "data-user-message", "data-liveness", "abort", "text-delta", "start"]
        #expect(try failure(types.map { .chunkType(template($0)) } + [.stages(["waiting-runner", "gathering-context", "analyzing-scope"]), .noDuplicates], transcript) == nil)
        let wrongOrder = try #require(try failure([.stages(["analyzing-scope", "starting-assistant"])], transcript))
        #expect(wrongOrder.location == at)
        #expect(wrongOrder.actual.hasPrefix("stages waiting-runner, starting-run, waiting-capacity (×2), gathering-context"))
        #expect(try failure([.chunkType(template("data-title-result"))], transcript)?.expected == "a data-title-result chunk")
    }

    // MARK: Thread fields

    private var view: JSONValue {
        get throws {
            try JSONValue(encoding: PodAPI.ThreadView(
                id: "t", agentId: "a", status: "in_progress", runOwnerPod: "pod-2", sandboxProviderKind: nil, partCount: 3,
                runCount: 1, sandboxCount: 0,
                currentRun: .init(id: 1, state: "running", attempt: 2, ownerPod: "pod-2", providerKind: "agent-sandbox", error: nil)))
        }
    }

    private func threadCheck(_ expectations: [PodsimScenario.Expectation.Kind], captures: [(name: String, field: String)] = []) -> Check {
        Check(subject: .thread(name: "t", caller: "", pod: nil), expectations: expectations.map(expect), captures: captures, location: at)
    }

    @Test func threadFieldsUseTheScenarioNames() throws {
        let check = threadCheck(
            [
                .field("owner", .equals(.string(template("pod-2")))), .field("runState", .equals(.string(template("running")))),
                .field("attempt", .atLeast(2)), .field("error", .equals(.null)), .field("partCount", .greaterThan(2)),
                .field("status", .not(.string(template("completed")))),
            ],
            captures: [(name: "o", field: "owner"), (name: "k", field: "sandboxProviderKind")])
        let outcome = try Checks.thread(check, view: try view, variables: Variables())
        #expect(outcome.mismatch == nil)
        #expect(outcome.captured == ["o": "pod-2", "k": "null"])
    }

    @Test func hostedFieldsCompareAndCaptureIncludingNull() throws {
        let hosted = try JSONValue(encoding: PodAPI.ThreadView(
            id: "t", agentId: "a", status: "failed", runOwnerPod: nil, sandboxProviderKind: "agent-sandbox", partCount: 4, runCount: 1,
            sandboxCount: 0, currentRun: nil, fence: "f-7", failureKind: "liveness", failureReason: "liveness: no stream events for 6s",
            executorPod: nil, gatePod: "pod-3", renderablePartCount: 2))
        let check = threadCheck(
            [
                .field("failureKind", .equals(.string(template("liveness")))), .field("executorPod", .equals(.null)),
                .field("gatePod", .equals(.string(template("pod-3")))), .field("renderableParts", .atLeast(2)),
                .field("fence", .not(.null)), .field("failureReason", .equals(.string(template("liveness: no stream events for 6s")))),
            ],
            captures: [(name: "f", field: "fence"), (name: "e", field: "executorPod"), (name: "r", field: "renderableParts")])
        let outcome = try Checks.thread(check, view: hosted, variables: Variables())
        #expect(outcome.mismatch == nil)
        #expect(outcome.captured == ["f": "f-7", "e": "null", "r": "2"])
        let busy = try #require(try Checks.thread(threadCheck([.field("executorPod", .not(.null))]), view: hosted, variables: Variables()).mismatch)
        #expect(busy.actual == "executorPod = null")
        let seedView = try Checks.thread(threadCheck([.field("renderableParts", .equals(.null))]), view: try view, variables: Variables())
        #expect(seedView.mismatch == nil, "a seed pod reports no renderable part count")
    }

    @Test func theOwnerIsTheRunsOwnerInSeedAndTheExecutorOrGateInHosted() throws {
        #expect(Checks.owner(in: try view, profile: .seed, role: .executor, attempt: nil) == "pod-2")
        #expect(Checks.owner(in: try view, profile: .seed, role: .executor, attempt: 2) == "pod-2")
        #expect(Checks.owner(in: try view, profile: .seed, role: .executor, attempt: 1) == nil, "waits for the attempt asked for")
        let hosted = { (executor: String?) in
            try JSONValue(encoding: PodAPI.ThreadView(
                id: "t", agentId: "a", status: "in_progress", runOwnerPod: nil, sandboxProviderKind: "agent-sandbox", partCount: 0,
                runCount: 1, sandboxCount: 0, currentRun: nil, fence: "f-1", executorPod: executor, gatePod: "pod-1", renderablePartCount: 0))
        }
        #expect(Checks.owner(in: try hosted("pod-3"), profile: .hosted, role: .executor, attempt: nil) == "pod-3")
        #expect(Checks.owner(in: try hosted(nil), profile: .hosted, role: .executor, attempt: nil) == nil, "no child runs yet")
        #expect(Checks.owner(in: try hosted(nil), profile: .hosted, role: .gate, attempt: nil) == "pod-1")
        #expect(Checks.owner(in: try hosted("pod-3"), profile: .seed, role: .executor, attempt: nil) == nil, "seed reads only the run's owner")
    }

    @Test func aThreadFieldThatDiffersFailsWithBothValues() throws {
        var variables = Variables()
        variables["o"] = "pod-1"
        let wrongOwner = try #require(
            try Checks.thread(threadCheck([.field("owner", .equals(.string(template("${o}"))))]), view: try view, variables: variables).mismatch)
        #expect(wrongOwner.expected == "owner = pod-1")
        #expect(wrongOwner.actual == "owner = pod-2")
        let tooFew = try #require(try Checks.thread(threadCheck([.field("partCount", .atMost(2))]), view: try view, variables: variables).mismatch)
        #expect(tooFew.expected == "partCount ≤ 2")
    }

    @Test func aCountIsComparedAsAValue() throws {
        let check = Check(
            subject: .providerCalls(thread: "t"), expectations: [expect(.field("equals", .equals(.number(1))))], captures: [], location: at)
        #expect(try Checks.value(check, "provider calls", .number(1), variables: Variables()).mismatch == nil)
        #expect(try Checks.value(check, "provider calls", .number(2), variables: Variables()).mismatch?.actual == "provider calls = 2")
    }

    // MARK: Responses

    @Test func aResponseIsCheckedForStatusPathsAndHeaders() throws {
        let response = HTTPExchange(status: 409, headers: [("Content-Type", "application/json")], body: #"{"error":"busy","code":"run_active"}"#)
        var expected = ResponseExpectation(status: 409, location: at)
        expected.paths = [(path: "code", value: .string(template("run_active")))]
        expected.headers = [("content-type", template("json"))]
        #expect(try Checks.response(response, expected, variables: Variables()) == nil)
        expected.status = 202
        #expect(try Checks.response(response, expected, variables: Variables())?.expected == "status 202")
        let captured = Checks.captures(
            [ResponseCapture(name: "c", source: .body(path: "code"), location: at), ResponseCapture(name: "x", source: .body(path: "missing"), location: at)],
            from: response, at: at, naming: true)
        #expect(captured.mismatch?.expected == "a value at missing to capture into x")
    }

    /// `capture: {c: header.set-cookie}`: header names match in any case; of set-cookie only the
    /// cookie pair is kept; a missing header is a failure that names it and the headers there were.
    @Test func headersAreCapturedByNameInAnyCase() throws {
        let response = HTTPExchange(
            status: 200, headers: [("Set-Cookie", "podsim_session=abc; Path=/; HttpOnly"), ("X-Request-Id", "r-1")], body: "{}")
        let captured = Checks.captures(
            [ResponseCapture(name: "c", source: .header("set-cookie"), location: at), ResponseCapture(name: "r", source: .header("x-request-id"), location: at)],
            from: response, at: at, naming: true)
        #expect(captured.mismatch == nil)
        #expect(captured.captured == ["c": "podsim_session=abc", "r": "r-1"])
        let missing = Checks.captures([ResponseCapture(name: "e", source: .header("etag"), location: at)], from: response, at: at, naming: true)
        #expect(missing.mismatch?.expected == "header etag to capture into e")
        #expect(missing.mismatch?.actual == "no etag header (headers: set-cookie, x-request-id)")
    }
}

/// `expect.status` as one status, a set or a range, and `bodyNotContains`.
@Suite struct StatusExpectationTests {
    private func expectation(_ yaml: String) throws -> ResponseExpectation {
        let scenario = try ScenarioParser.parse("steps:\n  - request: GET /x\n    expect: \(yaml)\n", file: "s.yaml")
        guard case .request(let request) = scenario.steps[0].kind else { throw ScenarioError(scenario.steps[0].location, "not a request") }
        return request.expect
    }

    @Test func setsAndRangesMatchWhatTheySay() throws {
        #expect(try expectation("{status: 202}").status == .exactly(202))
        #expect(try expectation("{status: [202, 409]}").status == .anyOf([202, 409]))
        #expect(try expectation("{status: {atLeast: 400, atMost: 499}}").status == .range(400...499))
        #expect(try expectation("{status: {atLeast: 500}}").status == .range(500...599))
        let range = StatusExpectation.range(400...499)
        #expect(range.matches(404) && !range.matches(500) && !range.matches(399))
        #expect(StatusExpectation.anyOf([202, 409]).matches(409) && !StatusExpectation.anyOf([202, 409]).matches(200))
        #expect(range.description == "a status from 400 to 499")
        #expect(StatusExpectation.anyOf([202, 409]).description == "status 202 or 409")
    }

    @Test func badStatusesAreNamed() {
        #expect(parseError("steps:\n  - request: GET /x\n    expect: {status: []}\n")?.contains("lists no status") == true)
        #expect(parseError("steps:\n  - request: GET /x\n    expect: {status: [200, 42]}\n")?.contains("expect.status must be between 100 and 599, got 42") == true)
        #expect(parseError("steps:\n  - request: GET /x\n    expect: {status: {atLeast: 500, atMost: 400}}\n")?.contains("atLeast 500 is above atMost 400") == true)
        #expect(parseError("steps:\n  - request: GET /x\n    expect: {status: {about: 400}}\n")?.contains("unknown key in expect.status 'about'") == true)
        #expect(parseError("steps:\n  - request: GET /x\n    expect: {status: {}}\n")?.contains("needs atLeast:, atMost: or both") == true)
    }

    @Test func bodyNotContainsFailsWhenTheTextIsThere() throws {
        var expect = try expectation("{status: [200, 201], bodyNotContains: secret}")
        let clean = HTTPExchange(status: 201, headers: [], body: #"{"ok":true}"#)
        #expect(try Checks.response(clean, expect, variables: Variables()) == nil)
        let leaky = HTTPExchange(status: 200, headers: [], body: #"{"token":"secret"}"#)
        let failure = try #require(try Checks.response(leaky, expect, variables: Variables()))
        #expect(failure.expected == "a body without 'secret'")
        expect.bodyNotContains = nil
        let refused = HTTPExchange(status: 500, headers: [], body: "")
        #expect(try Checks.response(refused, expect, variables: Variables())?.expected == "status 200 or 201")
    }
}

/// Stream counts that are not exact: `count: {"chunk-3 ": {atLeast: 1}}`.
@Suite struct OccurrencesTests {
    private func expectations(_ count: String) throws -> [PodsimScenario.Expectation] {
        let text = "steps:\n  - bootstrap: s\n  - agent: a\n  - thread: t\n    agent: a\n  - attach: w\n    thread: t\n  - await: w\n    count: {\"chunk-3 \": \(count)}\n"
        let scenario = try ScenarioParser.parse(text, file: "s.yaml")
        guard case .eventually(let check, _, _) = scenario.steps.last!.kind else { return [] }
        return check.expectations
    }

    @Test func rangesParseAndDescribeThemselves() throws {
        let atLeast = try #require(try expectations("{atLeast: 1}").first)
        guard case .count(_, let occurrences) = atLeast.kind else { throw ScenarioError(atLeast.location, "not a count") }
        #expect(occurrences == Occurrences(1...ScenarioParser.countLimit))
        #expect(occurrences.description == "at least 1 time")
        #expect(occurrences.matches(3) && !occurrences.matches(0))
        #expect(Occurrences(0...2).description == "at most 2 times")
        #expect(Occurrences(1...3).description == "between 1 and 3 times")
        #expect(Occurrences(integerLiteral: 2).description == "exactly 2 times")
    }

    @Test func badRangesAreNamed() {
        let base = "steps:\n  - bootstrap: s\n  - agent: a\n  - thread: t\n    agent: a\n  - attach: w\n    thread: t\n  - await: w\n    count: {\"chunk-3 \": "
        #expect(parseError(base + "{}}\n")?.contains("needs atLeast:, atMost: or both") == true)
        #expect(parseError(base + "{atLeast: 3, atMost: 1}}\n")?.contains("atLeast 3 is above atMost 1") == true)
        #expect(parseError(base + "{exactly: 1}}\n")?.contains("unknown key") == true)
    }
}

/// Text matchers on thread fields: `error: {contains: provider}`.
@Suite struct FieldContainsTests {
    private let at = SourceLocation(file: "c.yaml", line: 3, column: 7)

    @Test func containsMatchesPartOfATextField() throws {
        let wanted = Comparison.contains(Template(raw: "provider", location: at))
        #expect(try Checks.compare("error", .string("provider answered 500"), wanted, at, Variables()) == nil)
        let failure = try #require(try Checks.compare("error", .string("cancelled"), wanted, at, Variables()))
        #expect(failure.expected == "error containing 'provider'")
        #expect(try Checks.compare("error", .null, wanted, at, Variables()) != nil)
    }

    @Test func containsParsesOnTextFieldsOnly() {
        let setup = "steps:\n  - bootstrap: s\n  - agent: a\n  - thread: t\n    agent: a\n  - check:\n      thread: t\n"
        #expect(parseError(setup + "      error: {contains: provider}\n") == nil)
        #expect(parseError(setup + "      partCount: {contains: 2}\n")?.contains("contains matches text, but partCount is") == true)
        #expect(parseError(setup + "      error: {contains: \"${nope}\"}\n")?.contains("undefined variable 'nope'") == true)
    }
}
