import PodsimHistory

/// A message POST the pods accepted (`send`, 202) and what the store recorded of its run.
struct AcceptedSend {
    let request: Located
    let thread: String
    /// The user message: the request's, else the one the store enqueued during the request.
    let message: String?
    /// The run's first `run-finished` (matched by message, else by the message's run ids from
    /// the store's enqueue and claims); hosted, else the turn's gate `workflow-finished` (a gate
    /// that ended before its child ever ran, e.g. when the child's start failed).
    let finished: Located?
    /// Whether the run appended content, so that watchers are owed its terminal chunk.
    let streamed: Bool

    /// `send by alice on pod-1 at 120.0 ms (thread t1, message m1)`.
    var label: String {
        let event = request.event
        return "send by \(event.caller ?? "?") on \(HistoryIndex.pod(event)) at \(millis(request.t)) (thread \(thread)\(message.map { ", message \($0)" } ?? ""))"
    }

    /// The accepted sends in request order, each matched to its run.
    static func all(in index: HistoryIndex) -> [AcceptedSend] {
        let enqueued = index.events(.runEnqueued)
        let runEvents = enqueued + index.events(.runClaimed) + index.events(.runReclaimed)
        let requests = index.events(.request).filter { $0.event.op == "send" && $0.event.status == 202 && $0.event.thread != nil }
        // A request that names its message owns that message's enqueue; the others take the
        // first free enqueue of their thread during the request (else the first after it).
        var taken = Set(enqueued.filter { enqueue in requests.contains { $0.event.message != nil && $0.event.message == enqueue.event.message } }.map(\.index))
        var sends: [AcceptedSend] = []
        for request in requests {
            let thread = request.event.thread!
            var message = request.event.message
            if message == nil {
                let free = enqueued.filter { !taken.contains($0.index) && $0.event.thread == thread && $0.event.message != nil && $0.t >= request.t }
                if let match = free.first(where: { $0.t <= request.end }) ?? free.first {
                    taken.insert(match.index)
                    message = match.event.message
                }
            }
            let runs = Set(runEvents.filter { $0.event.thread == thread && message != nil && $0.event.message == message }.compactMap(\.event.run))
            let finished = message.flatMap { message in
                index.events(.runFinished).first {
                    $0.event.thread == thread && ($0.event.message == message || ($0.event.message == nil && $0.event.run.map(runs.contains) == true))
                } ?? (index.hosted ? index.events(.workflowFinished).first {
                    $0.event.workflow == "gate" && $0.event.thread == thread && $0.event.message == message
                } : nil)
            }
            let run = finished?.event.run
            let streamed = run != nil && index.events(.chunkAppended).contains {
                $0.event.thread == thread && $0.event.run == run && ChunkTypes.isContent($0.event.chunk)
            }
            sends.append(AcceptedSend(request: request, thread: thread, message: message, finished: finished, streamed: streamed))
        }
        return sends
    }

    /// When the bound starts: the later of the request's answer and the end of the last fault
    /// that began before `instant` (the run's finish, or the history's end).
    func boundStart(before instant: Int64, in index: HistoryIndex) -> Int64 {
        let lastFault = index.events(.fault).last { $0.t < instant }
        return max(request.end, lastFault?.end ?? request.end)
    }
}
