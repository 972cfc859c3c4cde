import Foundation
import GRDB

/// The cluster's shared state: one SQLite file in WAL mode that every pod process opens.
///
/// It stands in for the real system's Postgres, durable queue and JetStream buffer. Every
/// connection retries while another holds the lock (`retryWhileBusy`), and every write runs in an IMMEDIATE transaction (GRDB's default for writes), so
/// concurrent writers from many processes queue up instead of surfacing `SQLITE_BUSY`.
public final class Store: Sendable {
    public let path: String
    let pool: DatabasePool

    private init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .callback(Self.retryWhileBusy)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
    }

    /// How a connection waits for another process's write lock: retries within tens of
    /// microseconds at first (locks are held for well under a millisecond), backing off to 1 ms,
    /// for about 30 s in all. SQLite's own timeout handler sleeps whole milliseconds from the
    /// first retry, which leaves the CPU idle while pods queue for the lock.
    static let retryWhileBusy: Database.BusyCallback = { tries in
        let pause: UInt32 = tries < 20 ? 250 : 1_000
        guard tries < 30_000 else { return false }
        usleep(pause)
        return true
    }

    /// Creates the database file (if needed) and applies every migration. The coordinator calls
    /// this once before any pod starts.
    public static func create(at path: String) throws -> Store {
        let store = try Store(path: path)
        try Schema.migrator.migrate(store.pool)
        return store
    }

    /// Opens an existing, fully migrated store. Pods call this; they never migrate.
    public static func open(at path: String) throws -> Store {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.missing(path) }
        let store = try Store(path: path)
        let migrated = try store.pool.read { db in try Schema.migrator.hasCompletedMigrations(db) }
        if !migrated { throw StoreError.notMigrated(path) }
        return store
    }

    /// Runs a read-only SQL query and returns rows as column → text values (scenario `store` checks).
    public func query(_ sql: String, arguments: [String] = []) throws -> [[String: String?]] {
        try pool.read { db in
            try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map { row in
                var values: [String: String?] = [:]
                for (column, value) in row {
                    switch value.storage {
                    case .null: values[column] = .some(nil)
                    case .int64(let number): values[column] = String(number)
                    case .double(let number): values[column] = String(number)
                    case .string(let text): values[column] = text
                    case .blob(let data): values[column] = data.base64EncodedString()
                    }
                }
                return values
            }
        }
    }
}

/// Failures the store reports as typed values; the pod maps them to HTTP statuses in one place.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    case missing(String)
    case notMigrated(String)
    /// A write for a run attempt this pod no longer owns (lease lost, run reclaimed or finished).
    case fenced(runId: Int64, attempt: Int)

    public var description: String {
        switch self {
        case .missing(let path): "store \(path) does not exist (the coordinator creates it)"
        case .notMigrated(let path): "store \(path) is not migrated"
        case .fenced(let runId, let attempt): "run \(runId) attempt \(attempt) is no longer ours"
        }
    }
}
