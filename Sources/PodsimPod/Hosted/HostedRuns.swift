/// The children this pod executes, by thread (the real RunRegistry): what a cancel aborts, what
/// the reaper scans, and what the dequeue loop counts against the run cap.
actor HostedRuns {
    /// Why a child was stopped before it finished; it decides what the child still writes.
    enum AbortReason: Sendable, Equatable {
        /// A user cancelled the thread: the reactor writes `failed`/`cancelled`, the stream gets `abort` and done.
        case cancelled
        /// The reaper found it stale and already wrote `failed`/`stall`: the stream gets `abort` and done.
        case reaped
        /// The reaper found the thread no longer in progress: stop without writing anything.
        case evicted
        /// A newer child of the same thread started here (`PREVIOUS_RUN_ABORTED`): stop silently.
        case superseded
        /// The pod is shutting down: stop silently, the workflow stays PENDING for recovery.
        case draining
    }

    /// One child in flight here.
    struct Entry: Sendable {
        let threadId: String
        let fence: String
        /// Wall-clock start on this pod (the reaper's baseline before any progress).
        let startedAt: Int64
        let task: Task<Void, Never>
        var abortReason: AbortReason?
    }

    private var entries: [String: Entry] = [:]

    /// Children running here (the run cap counts them).
    var count: Int { entries.count }

    var snapshot: [Entry] { Array(entries.values) }

    /// Starts `body` as the thread's child; a child of an older fence still running here is
    /// aborted as superseded.
    func start(threadId: String, fence: String, startedAt: Int64, _ body: @escaping @Sendable () async -> Void) {
        if entries[threadId] != nil { abort(threadId: threadId, reason: .superseded) }
        let task = Task {
            await body()
            self.finished(threadId: threadId, fence: fence)
        }
        entries[threadId] = Entry(threadId: threadId, fence: fence, startedAt: startedAt, task: task)
    }

    private func finished(threadId: String, fence: String) {
        if entries[threadId]?.fence == fence { entries[threadId] = nil }
    }

    /// Aborts the child of `threadId` running on this pod as cancelled; false when none runs here.
    func cancel(threadId: String) -> Bool {
        abort(threadId: threadId, reason: .cancelled)
    }

    /// Stops the thread's child (the first reason sticks); false when none runs here.
    @discardableResult
    func abort(threadId: String, reason: AbortReason) -> Bool {
        guard var entry = entries[threadId] else { return false }
        if entry.abortReason == nil { entry.abortReason = reason }
        entry.task.cancel()
        if reason == .superseded {
            entries[threadId] = nil
        } else {
            entries[threadId] = entry
        }
        return true
    }

    /// Why the child of this fence was stopped; `.superseded` once a newer child replaced it.
    func abortReason(threadId: String, fence: String) -> AbortReason? {
        guard let entry = entries[threadId] else { return .superseded }
        return entry.fence == fence ? entry.abortReason : .superseded
    }

    /// Stops every child silently (SIGTERM) and waits for them, at most `timeout`.
    func abortAll(timeout: Duration) async {
        let tasks = entries.values.map(\.task)
        for threadId in entries.keys { abort(threadId: threadId, reason: .draining) }
        await waitFor(tasks, timeout: timeout)
    }
}

/// Waits for `tasks` to end, at most `timeout` in all.
func waitFor(_ tasks: [Task<Void, Never>], timeout: Duration) async {
    let deadline = ContinuousClock.now + timeout
    for task in tasks {
        let remaining = deadline - ContinuousClock.now
        if remaining <= .zero { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await task.value }
            group.addTask { try? await Task.sleep(for: remaining) }
            await group.next()
            group.cancelAll()
        }
    }
}
