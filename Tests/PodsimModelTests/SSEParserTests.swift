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
        #expect(parse(["event: update\ndata: x\nid: 7\n\n"]) == [.data("x")])
        #expect(parse(["data: unfinished"]).isEmpty, "an event without its blank line is not delivered")
    }
}
