import NIOCore
import SQLiteNIO
import Synchronization

/// The store's SQLite connections and the one rule for using them: every write goes through
/// `write`, which serialises this process's write transactions on the single writer connection.
///
/// Tasks share the writer connection, and an actor is reentrant across `await`, so without the
/// queue another task's statement could land between this task's BEGIN and COMMIT. Reads use
/// their own connections (WAL readers never wait for the writer); each read is one statement, so
/// it sees one consistent snapshot. Every connection runs on the store's own thread pool, so a
/// writer sleeping out another process's lock (`busy_timeout`) occupies one of those threads,
/// never the cooperative pool.
final class Database: Sendable {
    /// How long a statement waits for another process's write lock before failing with
    /// SQLITE_BUSY. It replaces sqlite-nio's own busy handler, which retries forever.
    static let busyTimeoutMillis = 30_000
    /// Read connections per process; measured with `podsim bench` (see BENCHMARKS.md).
    static let readerCount = 2

    private let threadPool: NIOThreadPool
    private let writer: SQLiteConnection
    private let readers: [SQLiteConnection]
    private let nextReader = Atomic<Int>(0)
    private let writeQueue = WriteQueue()

    private init(threadPool: NIOThreadPool, writer: SQLiteConnection, readers: [SQLiteConnection]) {
        self.threadPool = threadPool
        self.writer = writer
        self.readers = readers
    }

    static func open(path: String) async throws -> Database {
        let threadPool = NIOThreadPool(numberOfThreads: 1 + readerCount)
        threadPool.start()
        var connections: [SQLiteConnection] = []
        do {
            for _ in 0...readerCount {
                let connection = try await SQLiteConnection.open(
                    storage: .file(path: path), threadPool: threadPool, on: MultiThreadedEventLoopGroup.singleton.any())
                connections.append(connection)
                for pragma in ["PRAGMA busy_timeout = \(busyTimeoutMillis)", "PRAGMA foreign_keys = ON", "PRAGMA synchronous = NORMAL"] {
                    _ = try await connection.query(pragma)
                }
            }
            _ = try await connections[0].query("PRAGMA journal_mode = WAL")
            for reader in connections.dropFirst() { _ = try await reader.query("PRAGMA query_only = ON") }
        } catch {
            for connection in connections { try? await connection.close() }
            try? await threadPool.shutdownGracefully()
            throw error
        }
        return Database(threadPool: threadPool, writer: connections[0], readers: Array(connections.dropFirst()))
    }

    deinit {
        // Each close runs on the pool and keeps its connection alive until done; the pool stops
        // only after every close ran (stopping cancels work still queued).
        let closes = ([writer] + readers).map { $0.close() }
        let threadPool = threadPool
        EventLoopFuture.andAllComplete(closes, on: writer.eventLoop).whenComplete { _ in
            threadPool.shutdownGracefully { _ in }
        }
    }

    /// One statement on a read connection (`query_only`: a write fails instead of racing the writer).
    func read(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [Row] {
        let reader = readers[nextReader.wrappingAdd(1, ordering: .relaxed).oldValue % readers.count]
        return try await reader.query(sql, binds).map(Row.init)
    }

    /// One statement on the writer connection, in its own implicit transaction.
    func write(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [Row] {
        try await uncancelled { try await self.writeQueue.serialised { try await self.writer.query(sql, binds).map(Row.init) } }
    }

    /// Runs a write to its end even when the calling task is cancelled. NIO's thread pool drops
    /// the work of a cancelled task, which would lose a cancelled run's last writes (its abort
    /// chunk, its lease release) and could strand a transaction between BEGIN and COMMIT. (A
    /// cancelled read just fails, which its caller handles like any failed read.)
    private func uncancelled<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        try await Task { try await operation() }.value
    }

    /// Runs `body` in one IMMEDIATE transaction on the writer connection: the write lock is taken
    /// at BEGIN (so the transaction never fails half-way with SQLITE_BUSY), and everything is
    /// rolled back if `body` throws.
    func withTransaction<T: Sendable>(_ body: @escaping @Sendable (Transaction) async throws -> T) async throws -> T {
        try await uncancelled { try await self.transaction(body) }
    }

    private func transaction<T: Sendable>(_ body: @escaping @Sendable (Transaction) async throws -> T) async throws -> T {
        try await writeQueue.serialised {
            let transaction = Transaction(connection: self.writer)
            _ = try await self.writer.query("BEGIN IMMEDIATE")
            do {
                let result = try await body(transaction)
                _ = try await self.writer.query("COMMIT")
                return result
            } catch {
                _ = try? await self.writer.query("ROLLBACK")
                throw error
            }
        }
    }
}

/// The statements of one write transaction; only valid inside `Database.withTransaction`.
struct Transaction: Sendable {
    fileprivate let connection: SQLiteConnection

    @discardableResult
    func execute(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [Row] {
        try await connection.query(sql, binds).map(Row.init)
    }
}

/// A FIFO queue of this process's writers: one body runs at a time, in arrival order.
private actor WriteQueue {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func serialised<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            busy = true
        }
        do {
            let result = try await body()
            handOver()
            return result
        } catch {
            handOver()
            throw error
        }
    }

    private func handOver() {
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().resume()
        }
    }
}
