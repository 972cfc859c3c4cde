import Foundation

/// The cluster's shared state: one SQLite file in WAL mode that every pod process opens.
///
/// It stands in for the real system's Postgres, durable queue and JetStream buffer. SQLite is
/// built in (SQLiteNIO vendors it) and every statement runs on the store's own threads, so no
/// method blocks the caller's thread. Every write transaction is IMMEDIATE and every connection
/// waits out another process's lock (`busy_timeout`), so concurrent writers from many processes
/// queue up instead of surfacing `SQLITE_BUSY`.
public final class Store: Sendable {
    /// Reads the wall clock in milliseconds since the Unix epoch. The store stamps rows and
    /// leases with it; processes pass the one clock they all share (`wallClockMillis`).
    public typealias Clock = @Sendable () -> Int64

    public let path: String
    let database: Database
    let now: Clock
    /// The process named in the journal rows this handle writes; nil when it journals nothing.
    let journalWriter: String?

    private init(path: String, database: Database, clock: @escaping Clock, journal: String?) {
        self.path = path
        self.database = database
        self.now = clock
        self.journalWriter = journal
    }

    /// Creates the database file (if needed) and applies every migration. The coordinator calls
    /// this once before any pod starts. `journal` names the process in the history journal
    /// (nil: this handle journals nothing).
    public static func create(at path: String, clock: @escaping Clock, journal: String? = nil) async throws -> Store {
        let store = Store(path: path, database: try await Database.open(path: path), clock: clock, journal: journal)
        if try await Schema.hasOlderLayout(store.database) { throw StoreError.olderLayout(path) }
        try await Schema.migrate(store.database, now: clock)
        return store
    }

    /// Opens an existing, fully migrated store. Pods call this; they never migrate. `journal`
    /// names the process in the history journal (nil: this handle journals nothing).
    public static func open(at path: String, clock: @escaping Clock, journal: String? = nil) async throws -> Store {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.missing(path) }
        let store = Store(path: path, database: try await Database.open(path: path), clock: clock, journal: journal)
        if try await Schema.hasOlderLayout(store.database) { throw StoreError.olderLayout(path) }
        if try await !Schema.isMigrated(store.database) { throw StoreError.notMigrated(path) }
        return store
    }

    /// Keeps this handle's connections out of SQLite until the hold is released (at most
    /// `timeout` to get there): a process frozen while holding SQLite's file locks would stop
    /// every other process's writes, which no real deployment's database does.
    public func holdConnections(upTo timeout: Duration) async -> ConnectionHold {
        await database.hold(upTo: timeout)
    }

    /// Runs one read-only SQL statement and returns rows as column → text values (scenario `store` checks).
    public func query(_ sql: String, arguments: [String] = []) async throws -> [[String: String?]] {
        try await database.read(sql, arguments.map { .text($0) }).map { row in
            var values: [String: String?] = [:]
            for name in row.names.list { values[name] = .some(try row.text(name)) }
            return values
        }
    }
}

/// Failures the store reports as typed values; the pod maps them to HTTP statuses in one place.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    case missing(String)
    case notMigrated(String)
    /// The database lists migrations this binary does not know (a newer podsim created it).
    case unknownMigrations([String])
    /// A column is missing or holds a value of the wrong type.
    case decoding(column: String)
    /// A write for a run attempt this pod no longer owns (lease lost, run reclaimed or finished).
    case fenced(runId: Int64, attempt: Int)
    /// The file was created by a podsim whose store ran on GRDB, whose migrations this one cannot continue.
    case olderLayout(String)

    public var description: String {
        switch self {
        case .missing(let path): "store \(path) does not exist (the coordinator creates it)"
        case .notMigrated(let path): "store \(path) is not migrated"
        case .unknownMigrations(let ids): "store lists migrations this podsim does not know: \(ids.joined(separator: ", "))"
        case .decoding(let column): "store column \(column) is missing or has an unexpected type"
        case .fenced(let runId, let attempt): "run \(runId) attempt \(attempt) is no longer ours"
        case .olderLayout(let path): "store \(path) was created by an older podsim (GRDB migrations); start with a fresh state directory"
        }
    }
}
