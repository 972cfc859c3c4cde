import PodsimMockAI
import Testing

@Suite struct MockAIHintsTests {
    @Test func defaultsWhenNoHints() {
        let hints = MockAIHints(parsing: "hello there, how are you?")
        #expect(hints.chunkCount == 5)
        #expect(hints.delayMillis == 50)
        #expect(hints.stamp == false)
        #expect(hints.toolName == nil)
        #expect(hints.failStatus == nil)
        #expect(hints.cutAfter == nil)
        #expect(hints.holdGate == nil)
        #expect(hints.holdBeforeChunk == 2)
        #expect(MockAIHints(parsing: "") == hints)
    }

    @Test func slowSetsCountAndDelay() {
        let hints = MockAIHints(parsing: "slow:5x500")
        #expect(hints.chunkCount == 5)
        #expect(hints.delayMillis == 500)
        let instant = MockAIHints(parsing: "slow:12x0")
        #expect(instant.chunkCount == 12)
        #expect(instant.delayMillis == 0)
    }

    @Test func manySetsCountAtFiftyMillis() {
        let hints = MockAIHints(parsing: "many:200")
        #expect(hints.chunkCount == 200)
        #expect(hints.delayMillis == 50)
        #expect(MockAIHints(parsing: "slow:3x7 many:9").delayMillis == 50)
    }

    @Test func stampToolFailCut() {
        #expect(MockAIHints(parsing: "stamp").stamp)
        #expect(MockAIHints(parsing: "tool:bash").toolName == "bash")
        #expect(MockAIHints(parsing: "fail:503").failStatus == 503)
        #expect(MockAIHints(parsing: "fail:429").failStatus == 429)
        #expect(MockAIHints(parsing: "cut:2").cutAfter == 2)
        #expect(MockAIHints(parsing: "cut:0").cutAfter == 0)
    }

    @Test func holdDefaultsToChunkTwo() {
        let hints = MockAIHints(parsing: "hold:g1")
        #expect(hints.holdGate == "g1")
        #expect(hints.holdBeforeChunk == 2)
        let later = MockAIHints(parsing: "hold:after-tool@4")
        #expect(later.holdGate == "after-tool")
        #expect(later.holdBeforeChunk == 4)
    }

    @Test(arguments: [
        "slow:", "slow:5", "slow:x5", "slow:5x", "slow:ax5", "slow:-1x5", "slow:+3x5", "slow:3x-5",
        "many:", "many:lots", "many:-2", "fail:", "fail:abc", "fail:200", "fail:99", "fail:600",
        "cut:", "cut:-1", "cut:two", "tool:", "hold:", "hold:@3", "hold:g@0", "hold:g@", "hold:g@x",
        "stamped", "Stamp", "SLOW:3x1", "slow 3x1", "whatever:1", "slow:99999999999999999999999x1",
    ])
    func malformedTokensAreIgnored(token: String) {
        #expect(MockAIHints(parsing: token) == MockAIHints(parsing: ""))
    }

    @Test func hintsAreFoundAmongOrdinaryWords() {
        let hints = MockAIHints(parsing: "please\tslow:3x10\nand stamp, then tool:read thanks")
        #expect(hints.chunkCount == 3)
        #expect(hints.delayMillis == 10)
        #expect(hints.toolName == "read")
        #expect(hints.stamp == false, "\"stamp,\" is not the stamp token")
    }

    @Test func combinationsApplyTogether() {
        let hints = MockAIHints(parsing: "slow:4x20 stamp tool:write fail:500 cut:3 hold:gate@2")
        #expect(hints.chunkCount == 4)
        #expect(hints.delayMillis == 20)
        #expect(hints.stamp)
        #expect(hints.toolName == "write")
        #expect(hints.failStatus == 500)
        #expect(hints.cutAfter == 3)
        #expect(hints.holdGate == "gate")
        #expect(hints.holdBeforeChunk == 2)
    }

    @Test func laterHintWins() {
        let hints = MockAIHints(parsing: "slow:2x10 many:8 tool:a tool:b hold:x@5 hold:y")
        #expect(hints.chunkCount == 8)
        #expect(hints.delayMillis == 50)
        #expect(hints.toolName == "b")
        #expect(hints.holdGate == "y")
        #expect(hints.holdBeforeChunk == 2)
    }

    @Test func malformedRepeatKeepsEarlierValue() {
        let hints = MockAIHints(parsing: "cut:2 cut:oops hold:g@3 hold:h@0")
        #expect(hints.cutAfter == 2)
        #expect(hints.holdGate == "g")
        #expect(hints.holdBeforeChunk == 3)
    }
}
