/// Named gates that `hold:` streams wait on until a scenario releases them, so a test can stop
/// a provider call at a known point, act, and then let it finish.
actor Gates {
    /// A gate as the control API reports it.
    struct Status: Sendable, Equatable, Encodable {
        var name: String
        var released: Bool
        /// Number of streams currently waiting on the gate.
        var waiting: Int
    }

    private struct Gate {
        var released = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private var gates: [String: Gate] = [:]
    private var nextWaiterId = 0

    /// Returns once the gate is released (at once if it already is), or when the calling task is
    /// cancelled.
    func wait(for name: String) async {
        if gates[name]?.released == true { return }
        let waiterId = nextWaiterId
        nextWaiterId += 1
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume()
                } else {
                    gates[name, default: Gate()].waiters[waiterId] = continuation
                }
            }
        } onCancel: {
            Task { await self.abandon(waiterId, of: name) }
        }
    }

    /// Releases the gate for good: current waiters go on, later ones do not stop.
    func release(_ name: String) {
        var gate = gates[name, default: Gate()]
        gate.released = true
        for continuation in gate.waiters.values { continuation.resume() }
        gate.waiters.removeAll()
        gates[name] = gate
    }

    func statuses() -> [Status] {
        gates.map { Status(name: $0.key, released: $0.value.released, waiting: $0.value.waiters.count) }
            .sorted { $0.name < $1.name }
    }

    /// Forgets every gate; streams still waiting go on so no connection is left hanging.
    func reset() {
        for gate in gates.values {
            for continuation in gate.waiters.values { continuation.resume() }
        }
        gates.removeAll()
    }

    private func abandon(_ waiterId: Int, of name: String) {
        gates[name]?.waiters.removeValue(forKey: waiterId)?.resume()
    }
}
