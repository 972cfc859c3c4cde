#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// Many stream watchers served by one dedicated thread polling plain sockets.
///
/// A watcher per async task over a full HTTP client stack costs more CPU than the pods it
/// measures once there are a thousand of them on two cores; this keeps the bench's own share
/// small and stamps each frame the moment `recv` returns it.
struct SSEFleet: Sendable {
    private final class StopFlag: Sendable {
        let stopped = Atomic<Bool>(false)
    }

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
                    var connections: [WatcherConnection] = []
                    do {
                        for url in urls { connections.append(try WatcherConnection.open(url: url, headers: headers)) }
                    } catch {
                        for connection in connections { connection.close() }
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

    private static func read(_ connections: inout [WatcherConnection], until deadline: ContinuousClock.Instant, stop: StopFlag) {
        var polled = connections.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
        var open = connections.count
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 8)
        defer { buffer.deallocate() }
        while open > 0, ContinuousClock.now < deadline, !stop.stopped.load(ordering: .relaxed) {
            guard poll(&polled, nfds_t(polled.count), 50) > 0 else { continue }
            for index in polled.indices where polled[index].fd >= 0 && polled[index].revents != 0 {
                polled[index].revents = 0
                if !connections[index].readAvailable(into: buffer) {
                    polled[index].fd = -1
                    open -= 1
                }
            }
        }
    }
}
