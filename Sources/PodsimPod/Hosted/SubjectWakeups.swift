import Foundation

/// Wakes this pod's projectors when their thread's subject changed (a `.chunks` change signal),
/// so a projector tails the store without polling it hard; the poll fallback covers lost datagrams.
actor SubjectWakeups {
    private var bells: [String: [UUID: Doorbell]] = [:]

    /// A doorbell rung on every change of `threadId`'s subject until `remove`.
    func add(threadId: String) -> (id: UUID, bell: Doorbell) {
        let id = UUID()
        let bell = Doorbell()
        bells[threadId, default: [:]][id] = bell
        return (id, bell)
    }

    func remove(threadId: String, id: UUID) {
        bells[threadId]?[id] = nil
        if bells[threadId]?.isEmpty == true { bells[threadId] = nil }
    }

    func ring(threadId: String) async {
        for bell in bells[threadId]?.values.map({ $0 }) ?? [] { await bell.ring() }
    }
}
