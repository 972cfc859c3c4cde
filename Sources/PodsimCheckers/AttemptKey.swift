/// The attempt a chunk belongs to, as far as the profile's chunk ids tell it: seed, the run and
/// its attempt; hosted, the turn's fence (as `run`) and the attempt only when the id carries a
/// recovery tag. Sequence numbers restart at 1 for every key, and (hosted) after a recovery.
struct AttemptKey: Hashable, Sendable, CustomStringConvertible {
    let thread: String
    let run: String
    let attempt: Int?

    var description: String { attempt.map { "run \(run) attempt \($0)" } ?? "run \(run)" }
}

/// Where a chunk sits: its attempt and sequence number.
struct ChunkPosition: Hashable, Sendable {
    let key: AttemptKey
    let seq: Int
}

/// A delivery with the seq its id gives it.
typealias Delivered = (delivery: Located, seq: Int)

/// A chunk-appended with the seq its id gives it.
typealias Appended = (append: Located, seq: Int)
