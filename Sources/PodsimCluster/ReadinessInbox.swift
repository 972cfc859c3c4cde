#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PodsimServer
import Synchronization

/// The coordinator's end of `ReadinessNotice`: a loopback UDP socket that collects the pids of
/// children that now listen, read by a dedicated thread until `close()`.
final class ReadinessInbox: Sendable {
    private struct State {
        /// Pids whose notice arrived while nobody waited for it.
        var arrived: Set<Int32> = []
        var waiters: [Int32: CheckedContinuation<Void, Never>] = [:]
        var closed = false
    }

    /// The port children send their notice to.
    let port: Int
    private let descriptor: Int32
    private let state = Mutex(State())

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw ClusterError.noPort }
        var address = sockaddr_in.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard bound == 0, named == 0 else {
            Glibc.close(fd)
            throw ClusterError.noPort
        }
        // The thread looks at `closed` at least this often, whether or not `shutdown` woke it.
        var timeout = timeval(tv_sec: 0, tv_usec: 250_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        descriptor = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in receive() }
        thread.name = "readiness-inbox"
        thread.start()
    }

    private func receive() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while !state.withLock({ $0.closed }) {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { continue }
            if let pid = ReadinessNotice.pid(in: buffer[0..<count]) { ring(pid) }
        }
        Glibc.close(descriptor)
    }

    /// Wakes whoever waits for `pid`, or keeps the notice for the next wait: a child's notice,
    /// or the coordinator seeing the child exit (so a wait ends at once).
    func ring(_ pid: Int32) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiters.removeValue(forKey: pid) else {
                state.arrived.insert(pid)
                return nil
            }
            return waiter
        }
        waiter?.resume()
    }

    /// Returns once `pid` rang (since the last wait for it) or `timeout` passed, whichever is
    /// first: true when it rang.
    @discardableResult
    func wait(for pid: Int32, upTo timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.arrival(of: pid)
                return !Task.isCancelled
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let rang = await group.next() ?? false
            group.cancelAll()
            return rang
        }
    }

    private func arrival(of pid: Int32) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Bool in
                    if state.arrived.remove(pid) != nil || Task.isCancelled { return true }
                    state.waiters[pid] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: pid) }?.resume()
        }
    }

    /// Stops the reading thread, which closes the socket, and ends the waits under way.
    func close() {
        let (first, waiters) = state.withLock { state in
            defer {
                state.closed = true
                state.waiters = [:]
            }
            return (!state.closed, Array(state.waiters.values))
        }
        for waiter in waiters { waiter.resume() }
        if first { shutdown(descriptor, Int32(SHUT_RDWR)) }
    }
}
