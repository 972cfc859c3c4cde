import CSQLiteOptions
import Dispatch
import NIOCore
import SQLiteNIO
import Synchronization
import VaporCSQLite

/// The store's SQLite connections and the one rule for using them: every write goes through
/// `write` or `withTransaction`, which run on the single writer connection, one at a time.
///
/// Each connection has a thread of its own, and a transaction is one job on that thread: BEGIN,
/// its statements and COMMIT run back to back, so the caller's task crosses threads twice per
/// transaction rather than three times per statement. The writer commits in groups: the write
/// jobs that queued up while it was busy (or waiting out another process's lock) run in one
/// IMMEDIATE transaction, each inside its own savepoint, so a job that fails undoes only itself
/// and one lock acquisition and one commit serve them all. Reads use their own connections (WAL
/// readers never wait for the writer); each read is one statement, so it sees one consistent
/// snapshot. A writer sleeping out another process's lock (`busy_timeout`) occupies its own
/// thread, never the cooperative pool.
final class Database: Sendable {
    /// How long a statement waits for another process's write lock before failing with
    /// SQLITE_BUSY (SQLite's own busy handler: 1, 2, 5, 10 … ms sleeps).
    static let busyTimeoutMillis = 30_000
    /// Read connections per process; measured with `podsim bench` (see BENCHMARKS.md).
    static let readerCount = 2

    private let writer: GroupCommitWriter
    private let readers: [ConnectionThread]
    private let nextReader = Atomic<Int>(0)

    private init(writer: GroupCommitWriter, readers: [ConnectionThread]) {
        self.writer = writer
        self.readers = readers
    }

    static func open(path: String) async throws -> Database {
        var connections: [ConnectionThread] = []
        do {
            for index in 0...readerCount {
                let connection = ConnectionThread()
                connections.append(connection)
                try await connection.open(path: path, readOnly: index > 0)
            }
        } catch {
            for connection in connections { connection.close() }
            throw error
        }
        return Database(writer: GroupCommitWriter(connections[0]), readers: Array(connections.dropFirst()))
    }

    deinit {
        writer.connection.close()
        for reader in readers { reader.close() }
    }

    /// Brings every connection to rest: each one's thread finishes the job it runs (a write
    /// group commits, its checkpoint included) and then waits, so this process is inside no SQLite
    /// call and holds none of the file's locks. Returns once all rest or `timeout` passed; the
    /// connections wait until the hold is released.
    func hold(upTo timeout: Duration) async -> ConnectionHold {
        let connections = readers.count + 1
        let gate = RestGate(threads: connections)
        let (resting, arrival) = AsyncStream.makeStream(of: Void.self)
        let rest: @Sendable (Statements?) -> Void = { statements in
            arrival.yield()
            // Nil: the connection is closed and this runs on the caller's thread, which must not wait.
            if statements != nil { gate.pass() }
        }
        writer.scheduleAheadOfWrites(rest)
        for reader in readers { reader.schedule(rest) }
        let complete = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                var count = 0
                for await _ in resting {
                    count += 1
                    if count == connections { return true }
                }
                return false
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        return ConnectionHold(complete: complete, gate: gate)
    }

    /// One statement on a read connection (`query_only`: a write fails instead of racing the writer).
    func read(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [Row] {
        let reader = readers[nextReader.wrappingAdd(1, ordering: .relaxed).oldValue % readers.count]
        return try await reader.run { try $0.execute(sql, binds) }
    }

    /// One statement on the writer connection, in a transaction of its own (or its group's).
    func write(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [Row] {
        try await withTransaction { try $0.execute(sql, binds) }
    }

    /// Runs `body` in an IMMEDIATE transaction on the writer connection: the write lock is taken
    /// at BEGIN (so the transaction never fails half-way with SQLITE_BUSY), and everything `body`
    /// did is rolled back if it throws. The body runs on the writer's thread, start to end, even
    /// when the calling task is cancelled (a cancelled run's last writes still land); the call
    /// returns once its group committed.
    func withTransaction<T: Sendable>(_ body: @escaping @Sendable (Transaction) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            writer.submit(
                GroupCommitWriter.Job(
                    run: { statements in
                        let outcome = Result { try statements.inSavepoint { try body(Transaction(statements: statements)) } }
                        return { groupFailure in
                            if case .success = outcome, let groupFailure {
                                continuation.resume(throwing: groupFailure)
                            } else {
                                continuation.resume(with: outcome)
                            }
                        }
                    },
                    fail: { continuation.resume(throwing: $0) }))
        }
    }
}

/// The statements of one write transaction; only valid inside `Database.withTransaction`.
struct Transaction {
    fileprivate let statements: Statements

    @discardableResult
    func execute(_ sql: String, _ binds: [SQLiteData] = []) throws -> [Row] {
        try statements.execute(sql, binds)
    }
}

/// The writer connection's queue of write jobs. Whoever finds the queue idle schedules a drain
/// on the connection's thread; the drain commits everything queued so far as one group, then
/// looks again. A mutex guards the queue because submitters and the drain run on different
/// threads and a submission must never wait for a commit.
final class GroupCommitWriter: Sendable {
    /// One transaction's work. `run` executes its statements inside the group's transaction (in a
    /// savepoint of its own) and returns how to finish once the group committed (nil) or failed;
    /// `fail` ends a job that never ran.
    struct Job: Sendable {
        let run: @Sendable (Statements) -> @Sendable ((any Error)?) -> Void
        let fail: @Sendable (any Error) -> Void
    }

    /// The most jobs one group commits, so a long queue still commits in bounded steps.
    static let maxGroup = 64

    let connection: ConnectionThread
    private let queue = Mutex<(jobs: [Job], draining: Bool)>(([], false))
    /// Work scheduled with `scheduleAheadOfWrites` that has not run yet.
    private let waitingAhead = Atomic<Int>(0)

    init(_ connection: ConnectionThread) {
        self.connection = connection
    }

    /// Runs `work` on the writer's thread before the writes queued after the group now
    /// committing: a long queue does not keep it waiting.
    func scheduleAheadOfWrites(_ work: @escaping @Sendable (Statements?) -> Void) {
        waitingAhead.add(1, ordering: .sequentiallyConsistent)
        connection.schedule { statements in
            self.waitingAhead.subtract(1, ordering: .sequentiallyConsistent)
            work(statements)
        }
    }

    func submit(_ job: Job) {
        let startDrain = queue.withLock { queue in
            queue.jobs.append(job)
            defer { queue.draining = true }
            return !queue.draining
        }
        if startDrain { connection.schedule { self.drain($0) } }
    }

    private func drain(_ statements: Statements?) {
        while true {
            let group: [Job] = queue.withLock { queue in
                let group = Array(queue.jobs.prefix(Self.maxGroup))
                queue.jobs.removeFirst(group.count)
                if group.isEmpty { queue.draining = false }
                return group
            }
            if group.isEmpty { return }
            guard let statements else {
                for job in group { job.fail(SQLiteFailure.closed) }
                continue
            }
            commit(group, on: statements)
            if waitingAhead.load(ordering: .sequentiallyConsistent) > 0 {
                // Still draining: the rest of the queue commits in a drain scheduled behind that work.
                connection.schedule { self.drain($0) }
                return
            }
        }
    }

    private func commit(_ group: [Job], on statements: Statements) {
        do {
            try statements.execute("BEGIN IMMEDIATE")
        } catch {
            for job in group { job.fail(error) }
            return
        }
        let finishes = group.map { $0.run(statements) }
        var failure: (any Error)?
        if statements.inTransaction {
            do { try statements.execute("COMMIT") } catch { failure = error }
            if statements.inTransaction { _ = try? statements.execute("ROLLBACK") }
        } else {
            // SQLite rolled the whole transaction back on an error (I/O, full disk): nothing landed.
            failure = SQLiteFailure(code: SQLITE_ABORT, message: "the transaction was rolled back")
        }
        for finish in finishes { finish(failure) }
    }
}

/// Connections kept at rest by `Database.hold` until `release()`.
public struct ConnectionHold: Sendable {
    /// Whether every connection came to rest before the timeout.
    public let complete: Bool
    fileprivate let gate: RestGate

    /// Lets the connections go on; later calls do nothing.
    public func release() {
        gate.open()
    }
}

/// Where held connection threads wait. A thread still busy when the gate opened passes straight
/// through once it gets there.
final class RestGate: Sendable {
    private let threads: Int
    private let opened = Mutex(false)
    private let semaphore = DispatchSemaphore(value: 0)

    init(threads: Int) {
        self.threads = threads
    }

    func pass() {
        semaphore.wait()
    }

    func open() {
        guard opened.withLock({ opened in
            defer { opened = true }
            return !opened
        }) else { return }
        for _ in 0..<threads { semaphore.signal() }
    }
}

/// A failed SQLite call: its result code and the connection's message.
public struct SQLiteFailure: Error, Equatable, CustomStringConvertible {
    public var code: Int32
    public var message: String

    public var description: String { "SQLite error \(code): \(message)" }

    static let closed = SQLiteFailure(code: SQLITE_MISUSE, message: "the connection is closed")
}

/// One SQLite connection and the one thread that uses it (a one-thread NIO pool, so SQLite's
/// blocking calls never occupy the cooperative pool). Jobs run in the order they were scheduled.
final class ConnectionThread: Sendable {
    private let pool: NIOThreadPool
    private let statements = Statements()

    init() {
        pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
    }

    func open(path: String, readOnly: Bool) async throws {
        try await run { statements in
            try statements.open(path: path)
            for pragma in ["PRAGMA busy_timeout = \(Database.busyTimeoutMillis)", "PRAGMA foreign_keys = ON", "PRAGMA synchronous = NORMAL"] {
                try statements.execute(pragma)
            }
            try statements.execute(readOnly ? "PRAGMA query_only = ON" : "PRAGMA journal_mode = WAL")
        }
    }

    /// Runs `work` on the connection's thread, with nil once the connection is closed.
    func schedule(_ work: @escaping @Sendable (Statements?) -> Void) {
        let statements = statements
        pool.submit { state in work(state == .active ? statements : nil) }
    }

    /// Runs `body` on the connection's thread and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable (Statements) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            schedule { statements in
                guard let statements else { return continuation.resume(throwing: SQLiteFailure.closed) }
                continuation.resume(with: Result { try body(statements) })
            }
        }
    }

    /// Closes the connection after the jobs already scheduled, then stops the thread.
    func close() {
        let pool = pool
        schedule { statements in
            statements?.close()
            pool.shutdownGracefully { _ in }
        }
    }
}

/// The raw connection handle and its prepared statements. Only its `ConnectionThread` touches
/// it, on that thread (hence unchecked).
final class Statements: @unchecked Sendable {
    /// Prepared statements kept for reuse, by SQL text; beyond this many, statements are
    /// prepared for one use (ad-hoc SQL such as a scenario's store checks must not grow it).
    private static let cacheLimit = 128
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    private var handle: OpaquePointer?
    private var cache: [String: OpaquePointer] = [:]

    /// Opens the database file (creating it if needed); the connection is unusable before.
    func open(path: String) throws {
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI
        let status = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, podsim_sqlite_enable_stable_plans(UnsafeMutableRawPointer(handle)) == SQLITE_OK else {
            let failure = failure(status == SQLITE_OK ? SQLITE_ERROR : status)
            close()
            throw failure
        }
    }

    /// Whether a transaction is open (SQLite ends one on its own after some errors).
    var inTransaction: Bool { handle != nil && sqlite_nio_sqlite3_get_autocommit(handle) == 0 }

    /// Runs `body` in a savepoint: what it wrote stays if it returns and is undone if it throws.
    func inSavepoint<T>(_ body: () throws -> T) throws -> T {
        try execute("SAVEPOINT job")
        do {
            let result = try body()
            try execute("RELEASE job")
            return result
        } catch {
            if inTransaction {
                _ = try? execute("ROLLBACK TO job")
                _ = try? execute("RELEASE job")
            }
            throw error
        }
    }

    func close() {
        for statement in cache.values { sqlite_nio_sqlite3_finalize(statement) }
        cache = [:]
        sqlite_nio_sqlite3_close(handle)
        handle = nil
    }

    /// Runs one statement to its end and returns its rows.
    @discardableResult
    func execute(_ sql: String, _ binds: [SQLiteData] = []) throws -> [Row] {
        let statement = try prepared(sql)
        defer {
            sqlite_nio_sqlite3_reset(statement)
            sqlite_nio_sqlite3_clear_bindings(statement)
            if cache[sql] != statement { sqlite_nio_sqlite3_finalize(statement) }
        }
        try bind(binds, to: statement)
        var rows: [Row] = []
        var columns: ColumnNames?
        while true {
            switch sqlite_nio_sqlite3_step(statement) {
            case SQLITE_ROW:
                let names = columns ?? ColumnNames(statement)
                columns = names
                rows.append(Row(names: names, values: (0..<Int32(names.list.count)).map { value(statement, column: $0) }))
            case SQLITE_DONE:
                return rows
            case let status:
                throw failure(status)
            }
        }
    }

    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let statement = cache[sql] { return statement }
        guard let handle else { throw SQLiteFailure.closed }
        var statement: OpaquePointer?
        let status = sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard status == SQLITE_OK else { throw failure(status) }
        guard let statement else { throw SQLiteFailure(code: SQLITE_MISUSE, message: "no SQL statement in \(sql.debugDescription)") }
        if cache.count < Self.cacheLimit { cache[sql] = statement }
        return statement
    }

    private func bind(_ binds: [SQLiteData], to statement: OpaquePointer) throws {
        for (offset, bind) in binds.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32 =
                switch bind {
                case .integer(let value): sqlite_nio_sqlite3_bind_int64(statement, index, Int64(value))
                case .float(let value): sqlite_nio_sqlite3_bind_double(statement, index, value)
                case .text(let value):
                    sqlite_nio_sqlite3_bind_text64(statement, index, value, UInt64(value.utf8.count), Self.transient, UInt8(SQLITE_UTF8))
                case .blob(let value):
                    value.withUnsafeReadableBytes {
                        sqlite_nio_sqlite3_bind_blob64(statement, index, $0.baseAddress, UInt64($0.count), Self.transient)
                    }
                case .null: sqlite_nio_sqlite3_bind_null(statement, index)
                }
            guard status == SQLITE_OK else { throw failure(status) }
        }
    }

    private func value(_ statement: OpaquePointer, column: Int32) -> SQLiteData {
        switch sqlite_nio_sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER:
            return .integer(Int(sqlite_nio_sqlite3_column_int64(statement, column)))
        case SQLITE_FLOAT:
            return .float(sqlite_nio_sqlite3_column_double(statement, column))
        case SQLITE_TEXT:
            guard let text = sqlite_nio_sqlite3_column_text(statement, column) else { return .text("") }
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            guard let bytes = sqlite_nio_sqlite3_column_blob(statement, column) else { return .blob(ByteBuffer()) }
            return .blob(ByteBuffer(bytes: UnsafeRawBufferPointer(start: bytes, count: count)))
        default:
            return .null
        }
    }

    private func failure(_ status: Int32) -> SQLiteFailure {
        guard let handle else { return .closed }
        return SQLiteFailure(code: status, message: sqlite_nio_sqlite3_errmsg(handle).map { String(cString: $0) } ?? "error \(status)")
    }
}
