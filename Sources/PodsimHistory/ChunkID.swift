/// A chunk's id as the store journals it and a pod sends it on the SSE `id:` line, taken apart.
///
/// seed: `<runId>:<attempt>:<seq>`; hosted: the bus message id `<threadId>:<fence>:<seq>`, or with
/// the dedup-after-purge fix `<threadId>:<fence>:r<attempt>:<seq>`. Read from the right, since a
/// thread id may itself hold `:`.
public struct ChunkID: Sendable, Equatable, Hashable {
    /// seed: the run's row id; hosted: the turn's fence.
    public var run: String
    /// seed: the attempt; hosted: 1 + the recoveries when the id carries `r<recoveries>`.
    public var attempt: Int?
    public var seq: Int
    /// hosted: the thread the message id names.
    public var thread: String?

    public init(run: String, attempt: Int?, seq: Int, thread: String? = nil) {
        self.run = run
        self.attempt = attempt
        self.seq = seq
        self.thread = thread
    }

    /// Nil for an id of another shape (a hosted done marker, a legacy id).
    public static func parse(_ id: String, profile: String) -> ChunkID? {
        var parts = id.split(separator: ":", omittingEmptySubsequences: false)
        guard let last = parts.popLast(), let seq = Int(last) else { return nil }
        if profile == "hosted" {
            var attempt: Int?
            if let marker = parts.last, marker.first == "r", let recoveries = Int(marker.dropFirst()) {
                attempt = recoveries + 1
                parts.removeLast()
            }
            guard parts.last != "done" else { return nil }
            guard parts.count >= 2, let fence = parts.popLast(), !fence.isEmpty else { return nil }
            return ChunkID(run: String(fence), attempt: attempt, seq: seq, thread: parts.joined(separator: ":"))
        }
        guard parts.count == 2, let attempt = Int(parts[1]), !parts[0].isEmpty else { return nil }
        return ChunkID(run: String(parts[0]), attempt: attempt, seq: seq)
    }
}
