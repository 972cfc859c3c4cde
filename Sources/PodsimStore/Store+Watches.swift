/// Which pods have stream watchers on which threads, so a pod appending to a thread's log
/// signals only the pods that tail it rather than every pod. A pod records a thread before it
/// reads where its feed starts (so no append after that read goes unannounced) and removes the
/// row when the feed's last watcher leaves. Each opening gets a token and a removal names it,
/// so a late removal never deletes the row of the feed that reopened meanwhile. A pod forgets
/// its rows when it registers its endpoint; a row of a pod that died only costs a datagram nobody reads.
extension Store {
    /// Records that `pod` watches `threadId`; returns the token that removes this record.
    public func watch(threadId: String, pod: String) async throws -> String {
        let token = newID()
        _ = try await database.write(
            "INSERT INTO watch (threadId, pod, token) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET token = excluded.token",
            arguments(threadId, pod, token))
        return token
    }

    /// Removes the record `watch` returned `token` for, unless a newer one replaced it.
    public func unwatch(threadId: String, pod: String, token: String) async throws {
        _ = try await database.write("DELETE FROM watch WHERE threadId = ? AND pod = ? AND token = ?", arguments(threadId, pod, token))
    }

    /// The pods watching a thread, read inside the write that appends to it.
    func watchers(of threadId: String, in transaction: Transaction) throws -> [String] {
        try transaction.execute("SELECT pod FROM watch WHERE threadId = ?", arguments(threadId)).map { try $0.string("pod") }
    }
}
