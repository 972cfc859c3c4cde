/// Why a bus operation failed.
public enum BusError: Error, Equatable, CustomStringConvertible {
    /// A transient JetStream API error (`refuse-publish`, `fail-consumer-open`): worth a retry.
    case noResponders
    /// The pod has no JetStream handle (`degrade`): retrying does not help.
    case unavailable

    public var isTransient: Bool { self == .noResponders }

    public var description: String {
        switch self {
        case .noResponders: "no responders available for request"
        case .unavailable: "JetStream unavailable"
        }
    }
}

/// The bus faults scenarios and the control API inject (kinds are `BusFaultKind` raw values),
/// kept in the store so every pod sees them at once: a duration fault holds until `until` (or a
/// heal), a counted one until it is used up.
extension Store {
    /// Adds a fault on one pod (nil: every pod).
    public func addBusFault(_ kind: String, pod: String?, durationMillis: Int64?, count: Int?) async throws {
        let now = now()
        _ = try await database.write(
            "INSERT INTO busFault (kind, pod, remaining, until, createdAt) VALUES (?, ?, ?, ?, ?)",
            arguments(kind, pod, count.map { Int64($0) }, durationMillis.map { now + $0 }, now))
    }

    /// Clears every fault.
    public func clearBusFaults() async throws {
        _ = try await database.write("DELETE FROM busFault")
    }

    /// The kinds of fault that hold for `pod` now (a duration fault not yet over, a counted one
    /// not yet used up): one read, cheap when no fault is set.
    public func activeBusFaults(pod: String) async throws -> Set<String> {
        Set(try await database.read(
            """
            SELECT DISTINCT kind FROM busFault WHERE (pod IS NULL OR pod = ?)
              AND (remaining > 0 OR (remaining IS NULL AND (until IS NULL OR until > ?)))
            """,
            arguments(pod, now())
        ).map { try $0.string("kind") })
    }

    /// Uses up one operation of a counted fault of `kind` on `pod`; true when one was there.
    public func takeBusFault(_ kind: String, pod: String) async throws -> Bool {
        try await !database.write(
            """
            UPDATE busFault SET remaining = remaining - 1 WHERE id = (
              SELECT id FROM busFault WHERE kind = ? AND (pod IS NULL OR pod = ?) AND remaining > 0 ORDER BY id LIMIT 1
            ) RETURNING id
            """,
            arguments(kind, pod)
        ).isEmpty
    }

    /// Restarts the bus: the stored log survives, and the duplicate window is rebuilt only from
    /// the message ids still stored (a purged id is forgotten), as nats-server rebuilds it.
    public func restartBus() async throws {
        _ = try await database.write(
            """
            DELETE FROM dedup WHERE msgId NOT IN (
              SELECT s.msgId FROM subject s WHERE s.msgId IS NOT NULL
                AND s.id > coalesce((SELECT throughID FROM subjectPurge p WHERE p.threadId = s.threadId), 0))
            """)
    }

    /// Refuses a publish inside its transaction when the pod is degraded or publishes are refused
    /// (one read of a table that stays empty unless a fault was injected).
    func checkPublishAllowed(pod: String, at now: Int64, in transaction: Transaction) throws {
        let kinds = try transaction.execute(
            """
            SELECT kind FROM busFault WHERE kind IN ('degrade', 'refuse-publish') AND (pod IS NULL OR pod = ?)
              AND remaining IS NULL AND (until IS NULL OR until > ?)
            """,
            arguments(pod, now)
        ).map { try $0.string("kind") }
        if kinds.contains("degrade") { throw BusError.unavailable }
        if !kinds.isEmpty { throw BusError.noResponders }
    }
}
