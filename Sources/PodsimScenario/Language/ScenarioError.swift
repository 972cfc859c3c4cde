/// A problem in a scenario file, pinned to where it was written.
public struct ScenarioError: Error, Sendable, Equatable, CustomStringConvertible {
    public var location: SourceLocation
    public var message: String

    public init(_ location: SourceLocation, _ message: String) {
        self.location = location
        self.message = message
    }

    public var description: String { "\(location): error: \(message)" }
}

/// Every problem found in one file (validation reports them all, not just the first).
public struct ScenarioErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ScenarioError]

    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// The closest of `candidates` to `word`, when it is close enough to be a likely typo. There is
/// none for a word longer than anyone types or among more candidates than anyone reads, so a
/// generated file cannot make this slow.
func suggestion(for word: String, in candidates: [String]) -> String? {
    let limit = max(2, word.count / 3)
    let candidates = candidates.filter { abs($0.count - word.count) <= limit }
    guard word.count <= 64, candidates.count <= 100 else { return nil }
    func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
    let best = candidates.sorted().map { ($0, distance(word.lowercased(), $0.lowercased())) }.min { $0.1 < $1.1 }
    guard let best, best.1 <= limit else { return nil }
    return best.0
}

/// Words authors reach for from other tools, and what podsim calls them.
let synonyms: [String: String] = [
    "sleep": "wait", "delay": "wait", "pause-for": "wait",
    "assert": "check", "verify": "check", "expect": "check",
    "poll": "eventually", "until": "eventually", "wait-for": "eventually", "waitFor": "eventually",
    "post": "send", "message": "send", "chat": "send",
    "sigkill": "kill", "terminate": "stop", "sigterm": "stop", "launch": "start", "unpause": "resume", "continue": "resume",
    "subscribe": "attach", "watch": "attach", "stream": "attach", "unsubscribe": "detach",
    "http": "request", "call": "request", "get": "request",
    "concurrently": "parallel", "together": "parallel", "signup": "bootstrap", "sign-up": "bootstrap", "user": "bootstrap",
]

func unknownMessage(_ what: String, _ word: String, expected: [String]) -> String {
    var message = "unknown \(what) '\(word)'"
    let synonym = synonyms[word].flatMap { expected.contains($0) ? $0 : nil } ?? synonyms[word.lowercased()].flatMap { expected.contains($0) ? $0 : nil }
    if let guess = synonym ?? suggestion(for: word, in: expected) { message += " (did you mean '\(guess)'?)" }
    return message + "; expected one of: " + expected.joined(separator: ", ")
}
