/// What a set of watchers of one run received, checked against the run's log in the store: each
/// watcher must have every logged chunk, in log order, once (the frames given are those the
/// profile logs: see `RunLog.isLogged`). For every frame that matches, the delivery latency is
/// its arrival time minus the append stamp on the row.
struct DeliveryCheck {
    /// One watcher's frames, with the pod it watched.
    struct Watched {
        var pod: String
        var frames: [ReceivedFrame]
    }

    /// Latencies (ms) by the pod the watcher was attached to.
    private(set) var latencies: [String: [Double]] = [:]
    private(set) var completeWatchers = 0
    /// The first few shortfalls, described.
    private(set) var problems: [String] = []
    private(set) var problemCount = 0

    init(watched: [Watched], log: [RunLog.Entry]) {
        for watcher in watched {
            var matched = 0
            for (frame, chunk) in zip(watcher.frames, log) {
                if let body = chunk.body, frame.data != body { break }
                latencies[watcher.pod, default: []].append(frame.receivedAt - midpoint(ofMillisecond: chunk.createdAt))
                matched += 1
            }
            if matched == log.count && watcher.frames.count == log.count {
                completeWatchers += 1
                continue
            }
            problemCount += 1
            if problems.count < 5 {
                problems.append(
                    "a watcher on \(watcher.pod) received \(watcher.frames.count) frames of \(log.count); the first \(matched) matched the log")
            }
        }
    }

    func latencies(on pods: some Sequence<String>) -> [Double] {
        pods.flatMap { latencies[$0] ?? [] }
    }
}
