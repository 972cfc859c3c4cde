import PodsimHistory
import Testing

/// `history.jsonl` is a stable format: what podsim writes, it (and anyone's tool) reads back.
@Suite struct HistoryFormatTests {
    private func sample() -> History {
        var delivery = HistoryEvent(t: 2_500_000, wall: 1_700_000_000_002, kind: .delivery)
        delivery.watcher = "late"
        delivery.process = "pod-2"
        delivery.thread = "t:1"
        delivery.id = "7:2:1"
        delivery.run = "7"
        delivery.attempt = 2
        delivery.seq = 1
        delivery.chunk = "text-delta"
        delivery.delta = "quote \" backslash \\ newline \n tab \t bell \u{07} </script> é"
        delivery.data = #"{"type":"text-delta","delta":"x"}"#
        var request = HistoryEvent(t: 1_000, wall: 1_700_000_000_000, kind: .request)
        request.end = 3_000_000
        request.status = 202
        request.op = "send"
        return History(
            header: HistoryHeader(
                scenario: "s", file: "Scenarios/s.yaml", profile: "seed", pods: 3, bugs: ["no-reclaim"], fixes: [],
                processes: ["mock-ai", "pod-1"], startedAt: 1_700_000_000_000),
            events: [delivery, request])
    }

    @Test func writtenHistoriesReadBackTheSame() throws {
        let history = sample()
        #expect(try History(jsonl: history.jsonl()) == history)
    }

    @Test func eventsAreInTimeOrderAndLinesStartWithTheirTime() {
        let lines = sample().jsonl().split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix(#"{"kind":"history","format":1,"scenario":"s""#))
        #expect(lines[1].hasPrefix(#"{"t":1000,"wall":1700000000000,"kind":"request""#))
        #expect(lines[2].hasPrefix(#"{"t":2500000,"wall":1700000000002,"kind":"delivery","process":"pod-2""#))
        #expect(lines[2].contains(#"\u0007"#))
    }

    @Test func unknownKindsAndFieldsAreKept() throws {
        let text = #"{"kind":"history","format":1,"scenario":"s","file":"f","profile":"hosted","pods":1,"bugs":[],"fixes":[],"processes":[],"startedAt":0}"#
            + "\n" + #"{"t":5,"wall":0,"kind":"something-new","future":true}"# + "\n"
        let history = try History(jsonl: text)
        #expect(history.events.map(\.kind.rawValue) == ["something-new"])
    }

    @Test func aBadLineIsNamedByNumber() {
        let text = sample().jsonl() + "{not json}\n"
        #expect(throws: HistoryError.self) { try History(jsonl: text) }
        do {
            _ = try History(jsonl: text)
        } catch {
            #expect(error.line == 4)
        }
        #expect((try? History(jsonl: "")) == nil)
        #expect((try? History(jsonl: #"{"t":1,"wall":0,"kind":"request"}"#)) == nil, "the first line must be the header")
    }

    @Test func chunkIDsOfBothProfilesParse() {
        #expect(ChunkID.parse("7:2:13", profile: "seed") == ChunkID(run: "7", attempt: 2, seq: 13))
        #expect(ChunkID.parse("a:b:fence-1:4", profile: "hosted") == ChunkID(run: "fence-1", attempt: nil, seq: 4, thread: "a:b"))
        #expect(ChunkID.parse("t1:fence-1:r1:4", profile: "hosted") == ChunkID(run: "fence-1", attempt: 2, seq: 4, thread: "t1"))
        #expect(ChunkID.parse("t1:fence-1:done:9", profile: "hosted") == nil)
        #expect(ChunkID.parse("7:x:1", profile: "seed") == nil)
        #expect(ChunkID.parse("", profile: "seed") == nil)
    }
}
