import Foundation
import PodsimCheckers
import PodsimHistory
import Testing

@testable import PodsimTimeline

/// The timeline is a pure function of a history and its verdicts, so each test renders a
/// hand-written history and reads the markup the page promises (see `Timeline`).
@Suite struct TimelineTests {
    /// The shape of `pod-death-replay --bug resume-without-purge`: pod-2 runs the turn, dies,
    /// pod-3 reclaims it, and watcher `late` receives chunk 1 of both attempts.
    struct Replay {
        var history: History
        var firstDelivery: Int
        var duplicate: Int
        var failedStepEnd: Int
        var verdicts: [Verdict]
    }

    static func replay() -> Replay {
        var b = HistoryBuilder()
        b.add(.stepStart, ms: 1) {
            $0.label = "send"
            $0.location = "Scenarios/pod-death-replay.yaml:20:5"
        }
        b.add(.request, ms: 2) {
            $0.caller = "alice"
            $0.op = "send"
            $0.process = "pod-1"
            $0.method = "POST"
            $0.path = "/threads/T1/messages"
            $0.status = 202
            $0.end = 6_000_000
            $0.thread = "T1"
        }
        b.add(.runEnqueued, ms: 5) {
            $0.process = "pod-1"
            $0.thread = "T1"
            $0.message = "M1"
            $0.run = "7"
        }
        b.add(.runClaimed, ms: 10) {
            $0.process = "pod-2"
            $0.thread = "T1"
            $0.message = "M1"
            $0.run = "7"
            $0.attempt = 1
        }
        b.add(.providerCall, ms: 11) {
            $0.process = "mock-ai"
            $0.target = "pod-2"
            $0.thread = "T1"
            $0.run = "7"
            $0.attempt = 1
            $0.step = 1
            $0.status = 200
            $0.end = 60_000_000
        }
        b.add(.stepEnd, ms: 12) { $0.location = "Scenarios/pod-death-replay.yaml:20:5" }
        _ = b.append(ms: 20, pod: "pod-2", run: "7", attempt: 1, seq: 1, delta: "chunk-1 ")
        b.add(.stepStart, ms: 25) {
            $0.label = "attach late"
            $0.location = "Scenarios/pod-death-replay.yaml:30:5"
        }
        b.add(.attach, ms: 26) {
            $0.watcher = "late"
            $0.caller = "alice"
            $0.process = "pod-3"
            $0.thread = "T1"
            $0.status = 200
            $0.end = 27_000_000
        }
        let first = b.delivery(ms: 28, watcher: "late", pod: "pod-3", id: "7:1:1", delta: "chunk-1 ")
        b.add(.stepEnd, ms: 29) { $0.location = "Scenarios/pod-death-replay.yaml:30:5" }
        b.add(.fault, ms: 40) {
            $0.action = "kill"
            $0.target = "pod-2"
            $0.end = 45_000_000
        }
        b.add(.sessionCreated, ms: 50) { $0.process = "link-1" }
        b.add(.runReclaimed, ms: 70) {
            $0.process = "pod-3"
            $0.thread = "T1"
            $0.message = "M1"
            $0.run = "7"
            $0.attempt = 2
        }
        _ = b.append(ms: 80, pod: "pod-3", run: "7", attempt: 2, seq: 1, delta: "chunk-1 ")
        let duplicate = b.delivery(ms: 81, watcher: "late", pod: "pod-3", id: "7:2:1", delta: "chunk-1 ")
        _ = b.append(ms: 90, pod: "pod-3", run: "7", attempt: 2, seq: 2, chunk: "finish")
        _ = b.delivery(ms: 91, watcher: "late", pod: "pod-3", id: "7:2:2", chunk: "finish")
        b.add(.runFinished, ms: 95) {
            $0.process = "pod-3"
            $0.thread = "T1"
            $0.message = "M1"
            $0.run = "7"
            $0.attempt = 2
            $0.state = "completed"
        }
        b.add(.request, ms: 100) {
            $0.caller = "bob"
            $0.op = "request"
            $0.process = "pod-1"
            $0.method = "GET"
            $0.path = "/threads/T1"
            $0.status = 503
            $0.error = "unavailable"
            $0.end = 101_000_000
        }
        b.add(.stepStart, ms: 110) {
            $0.label = "check watcher late"
            $0.location = "Scenarios/pod-death-replay.yaml:53:9"
        }
        b.add(.detach, ms: 111) {
            $0.watcher = "late"
            $0.process = "pod-3"
            $0.thread = "T1"
            $0.reason = "client"
        }
        let stepEnd = b.add(.stepEnd, ms: 112) {
            $0.location = "Scenarios/pod-death-replay.yaml:53:9"
            $0.error = "expected 'chunk-1 ' exactly 1 time, got 2 times"
        }
        let history = b.history
        #expect(history.events[duplicate].id == "7:2:1", "the builder's indices are the history's")
        let verdicts = [
            Verdict(
                checker: .delivery, property: "per watcher, no (attempt, seq) twice within one attempt", validity: .fail,
                violations: [Violation(message: "watcher late received chunk-1 of attempts 1 and 2", events: [history.events[first], history.events[duplicate]], indices: [first, duplicate])]),
            Verdict(checker: .termination, property: "every accepted POST reaches a terminal state", validity: .pass),
            Verdict(checker: .sessions, property: "sign-outs reach every pod", validity: .unknown, note: "no sign-out in this history"),
        ]
        return Replay(history: history, firstDelivery: first, duplicate: duplicate, failedStepEnd: stepEnd, verdicts: verdicts)
    }

    /// The markup of one lane (its items end before the lane's closing tag and newline).
    func lane(_ name: String, in html: String) -> Substring? {
        guard let start = html.range(of: "<g class=\"lane\" data-lane=\"\(name)\"") else { return nil }
        guard let end = html.range(of: "</g>\n", range: start.upperBound..<html.endIndex) else { return nil }
        return html[start.lowerBound..<end.upperBound]
    }

    func occurrences(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    @Test func everyProcessWatcherAndCallerHasALane() throws {
        let replay = Self.replay()
        let html = Timeline.html(replay.history, verdicts: replay.verdicts)
        for name in ["steps", "faults", "mock-ai", "pod-1", "pod-2", "pod-3", "link-1", "caller alice", "caller bob", "watcher late"] {
            #expect(lane(name, in: html) != nil, "lane \(name)")
        }
        #expect(html.contains(">watcher late @ pod-3<"))
        // Processes first in the header's order, then the link daemon seen in the events.
        let order = ["steps", "faults", "mock-ai", "pod-1", "pod-2", "pod-3", "link-1", "caller alice", "caller bob", "watcher late"]
            .map { html.range(of: "data-lane=\"\($0)\"")!.lowerBound }
        #expect(order == order.sorted())
        #expect(try #require(lane("mock-ai", in: html)).contains("class=\"provider-call\""))
        #expect(try #require(lane("link-1", in: html)).contains("data-kind=\"session-created\""))
    }

    @Test func aKillIsAMarkerOnTheFaultsLaneAndALineAcrossAllLanes() throws {
        let replay = Self.replay()
        let html = Timeline.html(replay.history, verdicts: replay.verdicts)
        let faults = try #require(lane("faults", in: html))
        #expect(faults.contains("<g class=\"fault\" data-action=\"kill\" data-target=\"pod-2\""))
        #expect(faults.contains(">kill pod-2</text>"))
        #expect(html.contains("<line class=\"fault-line\" data-action=\"kill\" data-target=\"pod-2\""))
    }

    @Test func theDuplicatedDeliveryIsHighlightedAndLinkedFromTheHeader() throws {
        let replay = Self.replay()
        let html = Timeline.html(replay.history, verdicts: replay.verdicts)
        let watcher = try #require(lane("watcher late", in: html))
        #expect(watcher.contains("<rect class=\"delivery violation\" id=\"ev-\(replay.duplicate)\" data-id=\"7:2:1\""))
        #expect(watcher.contains("<rect class=\"delivery violation\" id=\"ev-\(replay.firstDelivery)\" data-id=\"7:1:1\""))
        #expect(watcher.contains("<rect class=\"delivery\" data-id=\"7:2:2\""), "a delivery no verdict names is not highlighted")
        // The header names the checker, its property and the violation, linking to the marks.
        #expect(html.contains("<li class=\"verdict fail\" id=\"verdict-delivery\">"))
        #expect(html.contains("per watcher, no (attempt, seq) twice within one attempt"))
        #expect(html.contains("watcher late received chunk-1 of attempts 1 and 2"))
        #expect(html.contains("<a href=\"#ev-\(replay.duplicate)\">delivery watcher late @ 81.000 ms</a>"))
        #expect(html.contains("<li class=\"verdict pass\" id=\"verdict-termination\">"))
        #expect(html.contains("<li class=\"verdict unknown\" id=\"verdict-sessions\">"))
        #expect(html.contains("no sign-out in this history"))
        #expect(html.contains("1 pass, 1 unknown, 1 fail."))
        // Every anchor the header links to exists exactly once.
        for index in [replay.duplicate, replay.firstDelivery, replay.failedStepEnd] {
            #expect(occurrences("id=\"ev-\(index)\"", in: html) == 1)
            #expect(html.contains("href=\"#ev-\(index)\""))
        }
    }

    @Test func theFailingStepIsShownInTheHeaderAndHighlightedOnTheStepsLane() throws {
        let replay = Self.replay()
        let html = Timeline.html(replay.history, verdicts: replay.verdicts)
        #expect(html.contains("<h2>Failing step</h2>"))
        #expect(html.contains("<a href=\"#ev-\(replay.failedStepEnd)\">check watcher late at Scenarios/pod-death-replay.yaml:53:9</a>"))
        #expect(html.contains("expected &#39;chunk-1 &#39; exactly 1 time, got 2 times"))
        let steps = try #require(lane("steps", in: html))
        #expect(steps.contains("<g class=\"step failed violation\" id=\"ev-\(replay.failedStepEnd)\" data-location=\"Scenarios/pod-death-replay.yaml:53:9\""))
        #expect(steps.contains(">pod-death-replay.yaml:20</text>"), "steps are labelled with the file's base name and line")
        #expect(occurrences("<g class=\"step\"", in: String(steps)) == 2)
    }

    @Test func runsAreSpansOnTheirOwningPodEndedByTheNextAttemptOrTheFinish() throws {
        let replay = Self.replay()
        let html = Timeline.html(replay.history, verdicts: replay.verdicts)
        let pod2 = try #require(lane("pod-2", in: html))
        #expect(pod2.contains("<g class=\"run\" data-run=\"7\" data-attempt=\"1\" data-state=\"superseded by #2\""))
        // The reclaim is named by a violation: it highlights the new attempt's span, not the old one.
        let reclaim = try #require(replay.history.events.firstIndex { $0.kind == .runReclaimed })
        let flagged = Timeline.html(replay.history, verdicts: [Verdict(checker: .fencing, property: "p", validity: .fail, violations: [Violation(message: "m", events: [], indices: [reclaim])])])
        #expect(try #require(lane("pod-2", in: flagged)).contains("<g class=\"run\" data-run=\"7\" data-attempt=\"1\""))
        #expect(try #require(lane("pod-3", in: flagged)).contains("<g class=\"run violation\" id=\"ev-\(reclaim)\" data-run=\"7\" data-attempt=\"2\""))
        #expect(pod2.contains("<rect class=\"append\" data-id=\"7:1:1\""))
        let pod3 = try #require(lane("pod-3", in: html))
        #expect(pod3.contains("<g class=\"run\" data-run=\"7\" data-attempt=\"2\" data-state=\"completed\""))
        #expect(pod3.contains("run 7 #2 completed"))

        // A run nobody finished runs to the history's end.
        var b = HistoryBuilder()
        b.add(.runClaimed, ms: 1) {
            $0.process = "pod-1"
            $0.thread = "T1"
            $0.run = "3"
            $0.attempt = 1
        }
        b.add(.runReleased, ms: 2) {
            $0.process = "pod-1"
            $0.thread = "T1"
            $0.run = "3"
            $0.attempt = 1
        }
        b.add(.runClaimed, ms: 3) {
            $0.process = "pod-2"
            $0.thread = "T1"
            $0.run = "3"
            $0.attempt = 2
        }
        b.add(.fault, ms: 500) {
            $0.action = "pause"
            $0.target = "pod-2"
            $0.end = 501_000_000
        }
        let open = Timeline.html(b.history, verdicts: [])
        #expect(try #require(lane("pod-1", in: open)).contains("data-attempt=\"1\" data-state=\"released\""))
        let openRun = try #require(lane("pod-2", in: open))
        #expect(openRun.contains("<g class=\"run open\" data-run=\"3\" data-attempt=\"2\" data-state=\"open\""))
        #expect(openRun.contains("still open at the end"))
    }

    @Test func requestsAreSpansOnTheCallerLaneAndA5xxIsRed() throws {
        let replay = Self.replay()
        let html = Timeline.html(replay.history, verdicts: replay.verdicts)
        #expect(try #require(lane("caller alice", in: html)).contains("<g class=\"request\" data-status=\"202\""))
        let bob = try #require(lane("caller bob", in: html))
        #expect(bob.contains("<g class=\"request failed\" data-status=\"503\""))
        #expect(bob.contains("error: unavailable"))
    }

    @Test func aDeliveryTooltipGivesTheLatencyFromTheLatestAppendOfItsID() throws {
        // A duplicate append (same thread and id, as the hosted bus would re-publish it): each
        // delivery is measured from the latest append before it.
        var b = HistoryBuilder()
        b.header.profile = "hosted"
        b.add(.chunkAppended, ms: 10) {
            $0.process = "pod-2"
            $0.thread = "T1"
            $0.id = "T1:4:1"
            $0.seq = 1
            $0.chunk = "text-delta"
        }
        _ = b.delivery(ms: 12.5, watcher: "early", pod: "pod-1", id: "T1:4:1")
        b.add(.chunkAppended, ms: 30) {
            $0.process = "pod-3"
            $0.thread = "T1"
            $0.id = "T1:4:1"
            $0.seq = 1
            $0.chunk = "text-delta"
        }
        _ = b.delivery(ms: 34, watcher: "early", pod: "pod-1", id: "T1:4:1")
        _ = b.delivery(ms: 35, watcher: "early", pod: "pod-1", id: "T9:9:9")
        // A store that names the thread otherwise than the API: the id alone matches.
        b.add(.chunkAppended, ms: 40) {
            $0.process = "pod-2"
            $0.thread = "internal-42"
            $0.id = "T1:5:1"
            $0.chunk = "text-delta"
        }
        _ = b.delivery(ms: 41.25, watcher: "early", pod: "pod-1", id: "T1:5:1")
        let html = Timeline.html(b.history, verdicts: [])
        let watcher = try #require(lane("watcher early", in: html))
        #expect(watcher.contains("latency: 2.500 ms after the append on pod-2 at 10.000 ms (appended 2 times; the latest before this delivery)"))
        #expect(watcher.contains("latency: 4.000 ms after the append on pod-3 at 30.000 ms"))
        #expect(watcher.contains("latency: unknown (no append of T9:9:9 before it)"))
        #expect(watcher.contains("latency: 1.250 ms after the append on pod-2 at 40.000 ms</title>"))
        #expect(occurrences("<rect class=\"append\" data-id=\"T1:4:1\"", in: html) == 2)
    }

    @Test func everyStringFromTheHistoryIsEscaped() throws {
        var b = HistoryBuilder()
        b.header.scenario = "<b>bold</b>"
        _ = b.append(ms: 1, pod: "pod-1", run: "1", attempt: 1, seq: 1, delta: "<script>alert('x')</script>")
        _ = b.delivery(ms: 2, watcher: "w\"onload=\"x", pod: "pod-1", id: "1:1:1", delta: "<script>alert('x')</script>")
        b.add(.request, ms: 3) {
            $0.caller = "<img src=x>"
            $0.method = "GET"
            $0.path = "/a?b=<c>&d"
            $0.status = 200
            $0.error = "bell \u{07} & ESC \u{1B}[31m"
        }
        let html = Timeline.html(b.history, verdicts: [
            Verdict(checker: .no5xx, property: "no <5xx>", validity: .fail, violations: [Violation(message: "<script>boom</script>", events: [], indices: [2, 99])]),
        ])
        #expect(occurrences("<script", in: html) == 1, "only the page's own script")
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
        #expect(html.contains("&lt;script&gt;boom&lt;/script&gt;"))
        #expect(!html.contains("<b>bold</b>"))
        #expect(!html.contains("<img"))
        #expect(html.contains("data-lane=\"watcher w&quot;onload=&quot;x\""))
        #expect(html.contains("data-lane=\"caller &lt;img src=x&gt;\""))
        #expect(!html.contains("\u{1B}"))
        #expect(!html.contains("\u{07}"))
        #expect(!html.contains("id=\"ev-99\""), "an index outside the history is ignored")
        #expect(html.contains("id=\"ev-2\""))
    }

    @Test func thePageIsSelfContained() {
        let replay = Self.replay()
        let html = Timeline.html(replay.history, verdicts: replay.verdicts)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(!html.contains("http://"))
        #expect(!html.contains("https://"))
        #expect(!html.contains("<link"))
        #expect(!html.contains(" src="))
        #expect(!html.contains("@import"))
        #expect(!html.contains("url("))
        #expect(occurrences("<svg", in: html) == 1)
        #expect(occurrences("<style>", in: html) == 1)
        #expect(html.contains("id=\"zoom-in\""))
    }

    @Test func renderingIsDeterministicAndEveryItemHasATooltip() {
        let replay = Self.replay()
        let svg = Timeline.svg(replay.history, verdicts: replay.verdicts)
        #expect(svg == Timeline.svg(replay.history, verdicts: replay.verdicts))
        #expect(Timeline.html(replay.history, verdicts: replay.verdicts) == Timeline.html(replay.history, verdicts: replay.verdicts))
        // Every mark and span: appends, deliveries, runs, steps, requests, faults…
        for item in ["<rect class=\"append\"", "<rect class=\"delivery", "<g class=\"run", "<g class=\"step", "<g class=\"request", "<g class=\"fault\"", "<g class=\"provider-call", "<g class=\"attached"] {
            var rest = Substring(svg)
            var seen = 0
            while let range = rest.range(of: item) {
                let tail = rest[range.upperBound...]
                let close = item.hasPrefix("<rect") ? tail.range(of: "</rect>")! : tail.range(of: "</g>")!
                #expect(tail[..<close.lowerBound].contains("<title>"), "\(item) has a tooltip")
                rest = tail[close.upperBound...]
                seen += 1
            }
            #expect(seen > 0, "\(item) is drawn")
        }
        // The axis is in milliseconds since the cluster started.
        #expect(svg.contains(">0 ms</text>"))
        #expect(svg.contains(">100 ms</text>"))
    }

    /// The fan-out bench's shape: 306 chunks × 1,000 watchers on three pods.
    @Test func aHugeHistoryIsAggregatedAndStaysSmall() throws {
        var b = HistoryBuilder()
        b.header.scenario = "fan-out"
        var violation = 0
        for seq in 1...306 {
            let ms = Double(seq) * 20
            _ = b.append(ms: ms, pod: "pod-1", run: "1", attempt: 1, seq: seq, delta: "chunk-\(seq) ")
            for watcher in 0..<1_000 {
                let index = b.delivery(ms: ms + 1 + Double(watcher) / 1_000, watcher: "w\(watcher)", pod: "pod-\(watcher % 3 + 1)", id: "1:1:\(seq)", delta: "chunk-\(seq) ")
                if seq == 150, watcher == 500 { violation = index }
            }
        }
        let history = b.history
        #expect(history.events.count == 306 * 1_001)
        let verdicts = [Verdict(checker: .delivery, property: "no gap", validity: .fail, violations: [Violation(message: "w500 skipped", events: [], indices: [violation])])]
        let html = Timeline.html(history, verdicts: verdicts)
        #expect(html.utf8.count < 2_000_000, "\(html.utf8.count) bytes")
        // Watchers fold into one lane per pod, each a density strip.
        #expect(!html.contains("data-lane=\"watcher w1\""))
        for pod in 1...3 {
            let folded = try #require(lane("watchers @ pod-\(pod)", in: html))
            #expect(folded.contains("data-aggregated=\"true\""))
            #expect(folded.contains("<rect class=\"density\""))
        }
        #expect(html.contains(">334 watchers @ pod-1<tspan class=\"note\">\u{00A0}(density)</tspan>"))
        // The violation is still drawn on its own, and only it.
        #expect(occurrences("<rect class=\"delivery", in: html) == 1)
        #expect(html.contains("<rect class=\"delivery violation\" id=\"ev-\(violation)\" data-id=\"1:1:150\""))
        // 306 appends stay individual marks.
        #expect(occurrences("<rect class=\"append\"", in: html) == 306)
    }

    @Test func aLaneOverTheMarkLimitDrawsADensityStrip() throws {
        var b = HistoryBuilder()
        for seq in 1...50 { _ = b.append(ms: Double(seq), pod: "pod-1", run: "1", attempt: 1, seq: seq) }
        let html = Timeline.html(b.history, verdicts: [], options: .init(markLimit: 10))
        let pod = try #require(lane("pod-1", in: html))
        #expect(pod.contains("data-aggregated=\"true\""))
        #expect(!pod.contains("class=\"append\""))
        let counts = pod.components(separatedBy: "data-count=\"").dropFirst().map { Int($0.prefix { $0.isNumber })! }
        #expect(counts.reduce(0, +) == 50)
        #expect(pod.contains(" appends · "))
        let unfolded = Timeline.html(b.history, verdicts: [])
        #expect(occurrences("<rect class=\"append\"", in: unfolded) == 50)
    }

    @Test func hostedWorkflowsAreSpansOnTheirPod() throws {
        var b = HistoryBuilder()
        b.header.profile = "hosted"
        b.add(.workflowStarted, ms: 1) {
            $0.process = "pod-1"
            $0.thread = "T1"
            $0.workflow = "gate"
            $0.run = "4"
            $0.attempt = 1
        }
        b.add(.workflowStarted, ms: 2) {
            $0.process = "pod-2"
            $0.thread = "T1"
            $0.workflow = "child"
            $0.run = "4"
            $0.attempt = 1
        }
        b.add(.workflowFinished, ms: 9) {
            $0.process = "pod-1"
            $0.thread = "T1"
            $0.workflow = "gate"
            $0.run = "4"
            $0.attempt = 1
            $0.state = "SUCCESS"
        }
        b.add(.fault, ms: 20) { $0.action = "bus:drop" }
        let html = Timeline.html(b.history, verdicts: [])
        #expect(try #require(lane("pod-1", in: html)).contains("<g class=\"workflow\" data-workflow=\"gate\""))
        #expect(html.contains(">gate 4 #1 SUCCESS</text>"))
        #expect(try #require(lane("pod-2", in: html)).contains("<g class=\"workflow open\" data-workflow=\"child\""))
        #expect(try #require(lane("faults", in: html)).contains("<g class=\"fault\" data-action=\"bus:drop\"><rect"), "a fault on every pod has no target")
    }

    @Test func anEmptyHistoryStillRendersItsHeaderAndLanes() throws {
        let html = Timeline.html(HistoryBuilder().history, verdicts: [])
        #expect(html.contains("<h1>pod-death-replay <span class=\"badge unknown\">unknown</span></h1>"))
        #expect(html.contains("No checker verdicts were given."))
        for name in ["steps", "faults", "mock-ai", "pod-1", "pod-2", "pod-3"] { #expect(lane(name, in: html) != nil) }
        #expect(html.hasSuffix("</html>\n"))
    }

    /// 100 watchers × 306 chunks: no lane is over the limit, but the page would be.
    @Test func manyLanesUnderTheLimitStillKeepThePageSmall() throws {
        var b = HistoryBuilder()
        for seq in 1...306 {
            _ = b.append(ms: Double(seq) * 10, pod: "pod-1", run: "1", attempt: 1, seq: seq)
            for watcher in 0..<100 {
                _ = b.delivery(ms: Double(seq) * 10 + 1 + Double(watcher) / 100, watcher: "w\(watcher)", pod: "pod-2", id: "1:1:\(seq)")
            }
        }
        let html = Timeline.html(b.history, verdicts: [])
        print("100 watchers: \(html.utf8.count) bytes")
        #expect(html.utf8.count < 2_000_000, "\(html.utf8.count) bytes")
        #expect(lane("watcher w0", in: html) != nil, "100 watchers keep their own lanes")
        #expect(occurrences("data-aggregated=\"true\"", in: html) >= 87)
        #expect(occurrences("<rect class=\"delivery\"", in: html) <= 4_000)
        #expect(occurrences("<rect class=\"append\"", in: html) == 306, "the smallest lanes stay drawn")
    }

    /// A violation can name both ends of a span (a claim and a finish): the span is highlighted
    /// and each event keeps its own anchor.
    @Test func aViolationNamingBothEndsOfASpanAnchorsEach() throws {
        var b = HistoryBuilder()
        let claim = b.add(.runClaimed, ms: 1) {
            $0.process = "pod-1"
            $0.thread = "T1"
            $0.run = "9"
            $0.attempt = 1
        }
        let late = b.append(ms: 5, pod: "pod-1", run: "9", attempt: 1, seq: 1)
        let finish = b.add(.runFinished, ms: 8) {
            $0.process = "pod-1"
            $0.thread = "T1"
            $0.run = "9"
            $0.attempt = 1
            $0.state = "failed"
            $0.error = "provider down"
        }
        let verdicts = [Verdict(checker: .fencing, property: "fenced", validity: .fail, violations: [
            Violation(message: "appended under a stale claim", events: [], indices: [claim, late, finish]),
        ])]
        let html = Timeline.html(b.history, verdicts: verdicts)
        let pod = try #require(lane("pod-1", in: html))
        #expect(pod.contains("<g class=\"run failed violation\" id=\"ev-\(claim)\" data-run=\"9\" data-attempt=\"1\" data-state=\"failed\""))
        #expect(pod.contains("<rect class=\"anchor\" id=\"ev-\(finish)\""))
        #expect(pod.contains("<rect class=\"append violation\" id=\"ev-\(late)\""))
        #expect(pod.contains("error: provider down"))
        // A verdict that is not a failure highlights nothing.
        let unknown = Timeline.svg(b.history, verdicts: [Verdict(checker: .fencing, property: "fenced", validity: .unknown, violations: verdicts[0].violations)])
        #expect(!unknown.contains(" violation\""))
        #expect(!unknown.contains("id=\"ev-"))
    }
}
