import NIOCore
import SQLiteNIO
import Synchronization
import VaporCSQLite

/// The store's SQLite connections and the one rule for using them: every write goes through
/// `write` or `withTransaction`, which run on the single writer connection, one at a time.
///
/// Each connection is an actor on a thread of its own, and a transaction is one call to that
/// actor: BEGIN, its statements and COMMIT run back to back on the connection's thread, so the
/// caller's task crosses threads twice per transaction rather than three times per statement,
/// and no other task's statement can land between this task's BEGIN and COMMIT. Reads use
/// their own connections (WAL readers never wait for the writer); each read is one statement,
/// so it sees one consistent snapshot. A writer sleeping out another process's lock
/// (`busy_timeout`) occupies its connection's thread, never the cooperative pool.
final class Database: Sendable {
    /// How long a statement waits for another process's write lock before failing with
    /// SQLITE_BUSY (SQLite's own busy handler: 1, 2, 5, 10 … ms sleeps).
    static let busyTimeoutMillis = 30_000
    /// Read connections per process; measured with `podsim bench` (see BENCHMARKS.md).
    static let readerCount = 2

    private let writer: Connection
    private let readers: [Connection]
    private let nextReader = Atomic<Int>(0)

    private init(writer: Connection, readers: [Connection]) {
        self.writer = writer
        self.readers = readers
    }

    static func open(path: String) async throws -> Database {
        var connections: [Connection] = []
        do {
            for index in 0...readerCount {
                let connection = Connection()
                connections.append(connection)
                try await connection.open(path: path, readOnly: index > 0)
            }
        } catch {
            for connection in connections { await connection.close() }
            throw error
        }
        return Database(writer: connections[0], readers: Array(connections.dropFirst()))
    }

    deinit {
        let connections = [writer] + readers
        Task { for connection in connections { await connection.close() } }
    }

    /// One statement on a read connection (`query_only`: a write fails instead of racing the writer).
    func read(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [Row] {
        let reader = readers[nextReader.wrappingAdd(1, ordering: .relaxed).oldValue % readers.count]
        return try await reader.perform { try $0.execute(sql, binds) }
    }

    /// One statement on the writer connection, in its own implicit transaction.
    func write(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [Row] {
        try await writer.perform { try $0.execute(sql, binds) }
    }

    /// Runs `body` in one IMMEDIATE transaction on the writer connection: the write lock is taken
    /// at BEGIN (so the transaction never fails half-way with SQLITE_BUSY), and everything is
    /// rolled back if `body` throws. The body runs on the connection's thread, start to end, even
    /// when the calling task is cancelled (a cancelled run's last writes still land).
    func withTransaction<T: Sendable>(_ body: @escaping @Sendable (Transaction) throws -> T) async throws -> T {
        try await writer.perform { statements in
            try statements.execute("BEGIN IMMEDIATE")
            do {
                let result = try body(Transaction(statements: statements))
                try statements.execute("COMMIT")
                return result
            } catch {
                _ = try? statements.execute("ROLLBACK")
                throw error
            }
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

/// A failed SQLite call: its result code and the connection's message.
public struct SQLiteFailure: Error, Equatable, CustomStringConvertible {
    public var code: Int32
    public var message: String

    public var description: String { "SQLite error \(code): \(message)" }
}

/// One SQLite connection, confined to one thread: the actor's executor is that thread, and
/// every use of the handle happens inside `perform`.
actor Connection {
    private let thread = ConnectionThread()
    private var statements: Statements?

    nonisolated var unownedExecutor: UnownedSerialExecutor { thread.asUnownedSerialExecutor() }

    func open(path: String, readOnly: Bool) throws {
        let statements = try Statements(path: path)
        self.statements = statements
        for pragma in ["PRAGMA busy_timeout = \(Database.busyTimeoutMillis)", "PRAGMA foreign_keys = ON", "PRAGMA synchronous = NORMAL"] {
            try statements.execute(pragma)
        }
        try statements.execute(readOnly ? "PRAGMA query_only = ON" : "PRAGMA journal_mode = WAL")
    }

    func perform<T: Sendable>(_ body: @Sendable (Statements) throws -> T) throws -> T {
        guard let statements else { throw SQLiteFailure(code: SQLITE_MISUSE, message: "the connection is closed") }
        return try body(statements)
    }

    func close() {
        statements?.close()
        statements = nil
        thread.stop()
    }
}

/// The serial executor of one `Connection`: a dedicated thread (a one-thread NIO pool) that
/// runs the actor's jobs in arrival order, so SQLite's blocking calls never occupy the
/// cooperative pool.
final class ConnectionThread: SerialExecutor {
    private let pool: NIOThreadPool

    init() {
        pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        // After `stop` the pool runs nothing; the job then runs here and finds the connection closed.
        pool.submit { _ in job.runSynchronously(on: executor) }
    }

    func stop() {
        pool.shutdownGracefully { _ in }
    }
}

/// The raw connection handle and its prepared statements. Only its `Connection` touches it, on
/// that connection's thread (hence unchecked).
final class Statements: @unchecked Sendable {
    /// Prepared statements kept for reuse, by SQL text; beyond this many, statements are
    /// prepared for one use (ad-hoc SQL such as a scenario's store checks must not grow it).
    private static let cacheLimit = 128
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    private var handle: OpaquePointer?
    private var cache: [String: OpaquePointer] = [:]

    init(path: String) throws {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI
        let status = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            let message = handle.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "cannot open \(path)"
            sqlite_nio_sqlite3_close(handle)
            throw SQLiteFailure(code: status, message: message)
        }
        self.handle = handle
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
        SQLiteFailure(code: status, message: handle.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "closed")
    }
}
