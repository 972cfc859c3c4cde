/// The hint language scenarios write into a user message to steer the mock provider: how many
/// chunks, how fast, whether to call a tool, fail, drop the connection or wait on a gate.
///
/// Tokens are separated by whitespace; unknown or malformed tokens are ignored, and when a hint
/// appears twice the later one wins.
public struct MockAIHints: Sendable, Equatable {
    /// Number of text chunks to stream (`slow:<N>x<M>`, `many:<N>`).
    public var chunkCount: Int
    /// Pause before each text chunk, in milliseconds (`slow:<N>x<M>`).
    public var delayMillis: Int
    /// Prefix each chunk with `t<ms> `, the wall-clock start of the call (`stamp`).
    public var stamp: Bool
    /// Answer with a call to this tool unless a tool result follows the last user message (`tool:<name>`).
    public var toolName: String?
    /// Answer this HTTP status with a JSON error instead of a stream (`fail:<status>`, 400…599).
    public var failStatus: Int?
    /// Drop the connection after this many text chunks (`cut:<k>`).
    public var cutAfter: Int?
    /// Wait for this gate to be released before chunk `holdBeforeChunk` (`hold:<gate>[@<k>]`).
    public var holdGate: String?
    /// The 1-based text chunk a held stream stops before.
    public var holdBeforeChunk: Int

    public init(parsing text: String) {
        chunkCount = 5
        delayMillis = 50
        stamp = false
        toolName = nil
        failStatus = nil
        cutAfter = nil
        holdGate = nil
        holdBeforeChunk = 2
        for token in text.split(whereSeparator: \.isWhitespace) {
            apply(token)
        }
    }

    private mutating func apply(_ token: Substring) {
        if token == "stamp" {
            stamp = true
            return
        }
        guard let colon = token.firstIndex(of: ":") else { return }
        let value = token[token.index(after: colon)...]
        switch token[..<colon] {
        case "slow":
            guard let x = value.firstIndex(of: "x"),
                let count = Self.natural(value[..<x]),
                let delay = Self.natural(value[value.index(after: x)...])
            else { return }
            chunkCount = count
            delayMillis = delay
        case "many":
            guard let count = Self.natural(value) else { return }
            chunkCount = count
            delayMillis = 50
        case "tool":
            guard !value.isEmpty else { return }
            toolName = String(value)
        case "fail":
            guard let status = Self.natural(value), (400...599).contains(status) else { return }
            failStatus = status
        case "cut":
            guard let count = Self.natural(value) else { return }
            cutAfter = count
        case "hold":
            applyHold(value)
        default:
            return
        }
    }

    private mutating func applyHold(_ value: Substring) {
        var gate = value
        var beforeChunk = 2
        if let at = value.firstIndex(of: "@") {
            gate = value[..<at]
            guard let chunk = Self.natural(value[value.index(after: at)...]), chunk >= 1 else { return }
            beforeChunk = chunk
        }
        guard !gate.isEmpty else { return }
        holdGate = String(gate)
        holdBeforeChunk = beforeChunk
    }

    /// A non-negative decimal integer written with digits only (no sign), or nil.
    private static func natural(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }
}
