import Foundation
import PodsimHistory

/// A short way to write a history by hand: times in milliseconds, one call per event, chunks of
/// one canned reply picked by seq.
struct HistoryScript {
    let profile: String
    private(set) var events: [HistoryEvent] = []

    init(_ profile: String = "seed") { self.profile = profile }

    var history: History {
        History(
            header: HistoryHeader(
                scenario: "test", file: "test.yaml", profile: profile, pods: 3, bugs: [], fixes: [],
                processes: ["mock-ai", "pod-1", "pod-2", "pod-3"], startedAt: 0),
            events: events)
    }

    /// The canned reply: `start … finish`, seqs 1–8; the text is `chunk-1 chunk-2 `.
    static let reply: [(type: String, delta: String?)] = [
        ("start", nil), ("start-step", nil), ("text-start", nil), ("text-delta", "chunk-1 "), ("text-delta", "chunk-2 "),
        ("text-end", nil), ("finish-step", nil), ("finish", nil),
    ]

    /// The reply chunk at `seq` as JSON, with `delta` replacing its text when given.
    static func data(seq: Int, delta: String? = nil) -> (type: String, delta: String?, data: String) {
        let chunk = reply[seq - 1]
        let text = chunk.delta.map { delta ?? $0 }
        var object: [String: String] = ["type": chunk.type]
        if chunk.type.hasPrefix("text-") { object["id"] = "t1" }
        if let text { object["delta"] = text }
        let json = String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        return (chunk.type, text, json)
    }

    /// The chunk id the profile writes: seed `run:attempt:seq`; hosted `thread:fence:seq`, or
    /// `thread:fence:r<recoveries>:seq` when `tagged`.
    func chunkID(thread: String, run: String, attempt: Int, seq: Int, tagged: Bool = false) -> String {
        profile == "hosted"
            ? "\(thread):\(run):" + (tagged ? "r\(attempt - 1):" : "") + "\(seq)"
            : "\(run):\(attempt):\(seq)"
    }

    @discardableResult
    mutating func add(_ kind: HistoryKind, at ms: Int, _ fill: (inout HistoryEvent) -> Void = { _ in }) -> Int {
        var event = HistoryEvent(t: Int64(ms) * 1_000_000, wall: Int64(ms), kind: kind)
        fill(&event)
        events.append(event)
        return events.count - 1
    }

    mutating func request(_ method: String, _ path: String, by caller: String = "alice", on pod: String = "pod-1", at ms: Int, took: Int = 5, status: Int?, op: String = "request", thread: String? = nil) {
        add(.request, at: ms) {
            $0.op = op; $0.caller = caller; $0.process = pod; $0.method = method; $0.path = path; $0.status = status
            $0.end = Int64(ms + took) * 1_000_000; $0.thread = thread
        }
    }

    /// A message POST and the store's enqueue of its run inside it.
    mutating func send(thread: String = "t1", message: String = "m1", run: String = "r1", on pod: String = "pod-1", at ms: Int, status: Int = 202) {
        request("POST", "/api/threads/\(thread)/messages", on: pod, at: ms, took: 10, status: status, op: "send", thread: thread)
        if status == 202 { store(.runEnqueued, on: pod, thread: thread, message: message, run: run, at: ms + 5) }
    }

    mutating func store(_ kind: HistoryKind, on pod: String = "pod-1", thread: String = "t1", message: String? = "m1", run: String = "r1", attempt: Int? = nil, state: String? = nil, at ms: Int) {
        add(kind, at: ms) {
            $0.process = pod; $0.thread = thread; $0.message = message; $0.run = run; $0.attempt = attempt; $0.state = state
        }
    }

    mutating func claim(run: String = "r1", attempt: Int = 1, on pod: String = "pod-1", thread: String = "t1", at ms: Int) {
        store(attempt == 1 ? .runClaimed : .runReclaimed, on: pod, thread: thread, run: run, attempt: attempt, at: ms)
    }

    mutating func finish(run: String = "r1", attempt: Int = 1, state: String = "completed", on pod: String = "pod-1", thread: String = "t1", message: String? = "m1", at ms: Int) {
        store(.runFinished, on: pod, thread: thread, message: message, run: run, attempt: attempt, state: state, at: ms)
    }

    /// Appends reply chunks `seqs` of one attempt, one every `every` ms from `ms` (`dropped`: the
    /// hosted bus dropped them as duplicates; `delta` replaces their text).
    mutating func append(
        _ seqs: ClosedRange<Int>, run: String = "r1", attempt: Int = 1, on pod: String = "pod-1", thread: String = "t1", from ms: Int, every: Int = 10,
        tagged: Bool = false, dropped: Bool = false, delta: String? = nil
    ) {
        for (offset, seq) in seqs.enumerated() {
            let chunk = Self.data(seq: seq, delta: delta)
            let id = chunkID(thread: thread, run: run, attempt: attempt, seq: seq, tagged: tagged)
            add(dropped ? .chunkDropped : .chunkAppended, at: ms + offset * every) {
                $0.process = pod; $0.thread = thread; $0.run = run; $0.attempt = attempt; $0.seq = seq; $0.id = id
                $0.chunk = chunk.type; $0.delta = chunk.delta; $0.data = chunk.data
            }
        }
    }

    mutating func attach(_ watcher: String, on pod: String, thread: String = "t1", at ms: Int, status: Int = 200) {
        add(.attach, at: ms) {
            $0.watcher = watcher; $0.caller = "alice"; $0.process = pod; $0.thread = thread; $0.status = status
            $0.end = Int64(ms + 2) * 1_000_000
        }
    }

    mutating func detach(_ watcher: String, on pod: String, thread: String = "t1", at ms: Int, reason: String = "client") {
        add(.detach, at: ms) { $0.watcher = watcher; $0.process = pod; $0.thread = thread; $0.reason = reason }
    }

    /// Delivers reply chunks `seqs` of one attempt to a watcher, one every `every` ms from `ms`.
    mutating func deliver(_ seqs: [Int], to watcher: String, on pod: String, run: String = "r1", attempt: Int = 1, thread: String = "t1", from ms: Int, every: Int = 10, tagged: Bool = false, delta: String? = nil) {
        for (offset, seq) in seqs.enumerated() {
            let chunk = Self.data(seq: seq, delta: delta)
            let id = chunkID(thread: thread, run: run, attempt: attempt, seq: seq, tagged: tagged)
            add(.delivery, at: ms + offset * every) {
                $0.watcher = watcher; $0.process = pod; $0.thread = thread; $0.id = id; $0.chunk = chunk.type
                $0.delta = chunk.delta; $0.data = chunk.data
            }
        }
    }

    mutating func deliver(_ seqs: ClosedRange<Int>, to watcher: String, on pod: String, run: String = "r1", attempt: Int = 1, thread: String = "t1", from ms: Int, every: Int = 10, tagged: Bool = false) {
        deliver(Array(seqs), to: watcher, on: pod, run: run, attempt: attempt, thread: thread, from: ms, every: every, tagged: tagged)
    }

    /// A hosted frame with no id: a run-status stage, a liveness beat.
    mutating func deliverFrame(_ type: String, to watcher: String, on pod: String, thread: String = "t1", at ms: Int) {
        add(.delivery, at: ms) { $0.watcher = watcher; $0.process = pod; $0.thread = thread; $0.chunk = type; $0.data = "{\"type\":\"\(type)\"}" }
    }

    mutating func fault(_ action: String, target: String, at ms: Int, took: Int) {
        add(.fault, at: ms) { $0.action = action; $0.target = target; $0.end = Int64(ms + took) * 1_000_000 }
    }

    mutating func providerCall(run: String? = "r1", attempt: Int? = 1, step: Int? = 1, pod: String = "pod-1", thread: String = "t1", at ms: Int) {
        add(.providerCall, at: ms) {
            $0.process = "mock-ai"; $0.target = pod; $0.thread = thread; $0.run = run; $0.attempt = attempt; $0.step = step
            $0.status = 200; $0.end = Int64(ms + 50) * 1_000_000
        }
    }

    /// A projection of `parts` (each `text:…` or `tool-<name>:<callId>`), as the store journals it.
    mutating func project(_ parts: [String], run: String? = "r1", message: String? = nil, replace: Bool = false, on pod: String = "pod-1", thread: String = "t1", at ms: Int) {
        let objects: [[String: Any]] = parts.map { part in
            if part.hasPrefix("text:") { return ["type": "text", "role": "assistant", "body": "{\"text\":\"\(part.dropFirst(5))\"}"] }
            let pieces = part.split(separator: ":")
            return ["type": String(pieces[0]), "role": "assistant", "body": ["toolCallId": String(pieces[1])]]
        }
        let data = String(decoding: try! JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys]), as: UTF8.self)
        add(.partsProjected, at: ms) {
            $0.process = pod; $0.thread = thread; $0.run = run; $0.message = message; $0.count = parts.count; $0.data = data
            $0.state = replace ? "replace" : nil
        }
    }
}
