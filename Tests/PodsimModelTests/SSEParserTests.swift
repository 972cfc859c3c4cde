import PodsimModel
import Testing

/// `SSEParser` decodes what arrives in whatever pieces the network delivers.
@Suite struct SSEParserTests {
    private func parse(_ pieces: [String]) -> [SSEEvent] {
        var parser = SSEParser()
        return pieces.flatMap { parser.feed(Array($0.utf8)) }
    }

    @Test func aFrameSplitAcrossReadsIsOneEventOnceComplete() {
        var parser = SSEParser()
        #expect(parser.feed(Array("data: {\"type\":\"te".utf8)).isEmpty)
        #expect(parser.feed(Array("xt-delta\"}\n".utf8)).isEmpty, "no event before the blank line")
        #expect(parser.feed(Array("\n".utf8)) == [.data(#"{"type":"text-delta"}"#)])
    }

    @Test func everySplitOfAStreamDecodesTheSame() {
        let stream = ": attached\n\ndata: one\n\n: keepalive\n\ndata: two\ndata: lines\n\ndata: é\n\n"
        let whole = parse([stream])
        #expect(whole == [.comment("attached"), .data("one"), .comment("keepalive"), .data("two\nlines"), .data("é")])
        let bytes = Array(stream.utf8)
        for cut in 1..<bytes.count {
            var parser = SSEParser()
            let events = parser.feed(bytes[..<cut]) + parser.feed(bytes[cut...])
            #expect(events == whole, "cut at byte \(cut)")
        }
        var parser = SSEParser()
        #expect(bytes.flatMap { parser.feed([$0]) } == whole, "one byte per read")
    }

    @Test func commentsAndKeepalivesAreComments() {
        #expect(parse([SSE.keepalive]) == [.comment("keepalive")])
        #expect(parse([":no space\n", ":\n"]) == [.comment("no space"), .comment("")])
    }

    @Test func multiLineDataIsJoinedWithNewlines() {
        let payload = "first\n\nthird"
        #expect(parse([SSE.frame(payload)]) == [.data(payload)])
        #expect(parse(["data:no space\ndata\n\n"]) == [.data("no space\n")])
    }

    @Test func crlfAndLoneCRTerminateLines() {
        #expect(parse(["data: a\r\n\r\n"]) == [.data("a")])
        #expect(parse(["data: a\r", "\n", "\r\n"]) == [.data("a")], "a CRLF split across reads is one line break")
        #expect(parse(["data: a\r\rdata: b\n\n"]) == [.data("a"), .data("b")])
    }

    @Test func otherFieldsAndEmptyEventsAreIgnored() {
        #expect(parse(["event: update\nid: 7\nretry: 10\n\n"]).isEmpty)
        #expect(parse(["\n\n\n"]).isEmpty)
        #expect(parse(["event: update\ndata: x\nretry: 7\n\n"]) == [.data("x")])
        #expect(parse(["data: unfinished"]).isEmpty, "an event without its blank line is not delivered")
    }

    @Test func anIdLineIsReportedWithItsEvent() {
        #expect(parse([SSE.frame("one", id: "12:1:3")]) == [.data("one", id: "12:1:3")])
        #expect(SSE.frame("one", id: "12:1:3") == "id: 12:1:3\ndata: one\n\n")
        #expect(parse([SSE.frame("a\nb", id: "t:f:1")]) == [.data("a\nb", id: "t:f:1")])
        #expect(parse(["data: x\nid: 7\n\n"]) == [.data("x", id: "7")], "the id applies to the event it is dispatched with")
        #expect(parse(["id: 1\ndata: a\n\ndata: b\n\n"]) == [.data("a", id: "1"), .data("b")], "an id does not carry over")
        #expect(parse(["id: 1\n\ndata: b\n\n"]) == [.data("b")], "an id of an event without data is dropped with it")
        #expect(parse(["id: 5", "\nda", "ta: x\n", "\n"]) == [.data("x", id: "5")])
    }
}
