/// The AI SDK chunk types a run's reply is made of. Frames of other types (`data-run-status`,
/// `data-liveness`, mirrors, …) are not content.
enum ChunkTypes {
    static let content: Set<String> = [
        "start", "start-step", "text-start", "text-delta", "text-end", "tool-input-available", "tool-output-available",
        "tool-output-error", "finish-step", "finish", "error", "abort",
    ]
    /// The chunks that end an attempt's stream.
    static let terminal: Set<String> = ["finish", "error", "abort"]

    static func isContent(_ type: String?) -> Bool { type.map(content.contains) ?? false }
    static func isTerminal(_ type: String?) -> Bool { type.map(terminal.contains) ?? false }
}
