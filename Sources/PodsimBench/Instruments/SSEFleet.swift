#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// Many stream watchers served by one dedicated thread polling plain sockets.
///
/// A watcher per async task over a full HTTP client stack costs more CPU than the pods it
/// measures once there are thousands of them on two cores; this keeps the bench's own share
/// small and stamps each frame the moment `recv` returns it.
struct SSEFleet: Sendable {
    private final class StopFlag: Sendable {
        let stopped = Atomic<Bool>(false)
    }

    /// Watchers whose request is out and whose response head has not arrived yet, at most: enough
    /// to keep every pod busy attaching, few enough for the pods' accept backlog.
    private static let attachWindow = 64

    private let stop: StopFlag
    private let collected: Task<[[ReceivedFrame]], Never>

    /// Opens one watcher per URL (in order) and returns once every one is subscribed; the thread
    /// then reads until each watcher saw its run's finish frame, `cancel()`, or `lifetime`.
    static func attach(_ urls: [String], headers: [String: String], lifetime: Duration) async throws -> SSEFleet {
        let stop = StopFlag()
        let (attached, attachedContinuation) = AsyncStream<String?>.makeStream()
        let collected = Task {
            await withCheckedContinuation { (done: CheckedContinuation<[[ReceivedFrame]], Never>) in
                let thread = Thread {
                    var connections: [WatcherConnection]
                    do {
                        connections = try open(urls, headers: headers)
                    } catch {
                        attachedContinuation.yield("\(error)")
                        attachedContinuation.finish()
                        done.resume(returning: [])
                        return
                    }
                    attachedContinuation.yield(nil)
                    attachedContinuation.finish()
                    read(&connections, until: ContinuousClock.now + lifetime, stop: stop)
                    for connection in connections { connection.close() }
                    done.resume(returning: connections.map(\.frames))
                }
                thread.name = "bench-watchers"
                thread.start()
            }
        }
        for await failure in attached {
            if let failure { throw BenchError(failure) }
        }
        return SSEFleet(stop: stop, collected: collected)
    }

    /// Every watcher's frames, in attach order, once reading ended.
    func frames() async -> [[ReceivedFrame]] {
        await collected.value
    }

    /// Stops reading early (the caller gave up on the run).
    func cancel() {
        stop.stopped.store(true, ordering: .relaxed)
    }

    /// Sends the watchers' requests `attachWindow` at a time and waits for their response heads
    /// (a pod answers once the watcher is subscribed); throws, with every socket closed, unless
    /// each one answered 200 within 10 s of the last head before it.
    private static func open(_ urls: [String], headers: [String: String]) throws -> [WatcherConnection] {
        var opened: [WatcherConnection?] = Array(repeating: nil, count: urls.count)
        var waiting: [WatcherConnection.Opening] = []
        defer {
            for opening in waiting { opening.socket.close() }
        }
        do {
            var next = 0
            while next < urls.count || !waiting.isEmpty {
                while waiting.count < attachWindow, next < urls.count {
                    waiting.append(try WatcherConnection.Opening(index: next, url: urls[next], headers: headers))
                    next += 1
                }
                var polled = waiting.map { pollfd(fd: $0.socket.fd, events: Int16(POLLIN), revents: 0) }
                let ready = poll(&polled, nfds_t(polled.count), 10_000)
                if ready < 0 && errno == EINTR { continue }
                guard ready > 0 else {
                    throw BenchError("no stream answered within 10 s (\(waiting.count) waiting, \(next) of \(urls.count) sent)")
                }
                for index in polled.indices.reversed() where polled[index].revents != 0 {
                    if let connection = try waiting[index].receive() {
                        opened[waiting[index].index] = connection
                        waiting.remove(at: index)
                    }
                }
            }
        } catch {
            for connection in opened { connection?.close() }
            throw error
        }
        return opened.map { $0! }
    }

    private static func read(_ connections: inout [WatcherConnection], until deadline: ContinuousClock.Instant, stop: StopFlag) {
        var polled = connections.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
        var open = connections.count
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 8)
        defer { buffer.deallocate() }
        while open > 0, ContinuousClock.now < deadline, !stop.stopped.load(ordering: .relaxed) {
            var ready = poll(&polled, nfds_t(polled.count), 50)
            var index = 0
            while ready > 0, index < polled.count {
                if polled[index].revents != 0 {
                    ready -= 1
                    polled[index].revents = 0
                    if !connections[index].readAvailable(into: buffer) {
                        polled[index].fd = -1
                        open -= 1
                    }
                }
                index += 1
            }
        }
    }
}
