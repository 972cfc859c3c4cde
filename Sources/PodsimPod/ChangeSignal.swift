#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import PodsimServer
import Synchronization

/// A cross-process wake-up sent after a commit that other pods care about.
///
/// SQLite cannot notify other processes, so every pod binds a loopback UDP socket, records its
/// port in the store, and the writer of a change sends one datagram to every pod. Datagrams only
/// wake readers up; the data itself is always read from the store, so a lost datagram costs a
/// poll interval, never correctness.
enum ChangeSignal: Sendable, Hashable {
    /// New chunks were appended to a thread's chunk log.
    case chunks(threadId: String)
    /// A run was enqueued or released: idle workers should try to claim.
    case runsAvailable
    /// Cancel was requested for a run.
    case cancel(runId: Int64)
    /// Hosted profile: cancel was requested for a thread; the pod running its child aborts it.
    case cancelThread(threadId: String)

    var encoded: String {
        switch self {
        case .chunks(let threadId): "c\t\(threadId)"
        case .runsAvailable: "q"
        case .cancel(let runId): "x\t\(runId)"
        case .cancelThread(let threadId): "k\t\(threadId)"
        }
    }

    init?(encoded: Substring) {
        let fields = encoded.split(separator: "\t", maxSplits: 1)
        switch fields.first {
        case "c" where fields.count == 2: self = .chunks(threadId: String(fields[1]))
        case "q": self = .runsAvailable
        case "x" where fields.count == 2:
            guard let runId = Int64(fields[1]) else { return nil }
            self = .cancel(runId: runId)
        case "k" where fields.count == 2: self = .cancelThread(threadId: String(fields[1]))
        default: return nil
        }
    }
}

/// A loopback UDP socket that sends and receives `ChangeSignal`s.
final class ChangeSignalSocket: Sendable {
    private let descriptor: Int32
    /// The port peers send to.
    let port: Int
    private let closed = Atomic<Bool>(false)

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw SignalSocketError.system("socket", errno) }
        var address = sockaddr_in.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            Glibc.close(fd)
            throw SignalSocketError.system("bind", errno)
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 250_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var bufferSize: Int32 = 4 << 20
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufferSize, socklen_t(MemoryLayout<Int32>.size))
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        descriptor = fd
        port = Int(UInt16(bigEndian: actual.sin_port))
    }

    /// Sends one signal to each port; a peer that is gone is silently skipped.
    func send(_ signal: ChangeSignal, to ports: [Int]) {
        let payload = Array(signal.encoded.utf8)
        for port in ports {
            var address = sockaddr_in.loopback(port: port)
            _ = payload.withUnsafeBytes { bytes in
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT), $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
        }
    }

    /// Signals as they arrive, read by a dedicated thread until `close()`.
    func signals() -> AsyncStream<ChangeSignal> {
        let (stream, continuation) = AsyncStream.makeStream(of: ChangeSignal.self, bufferingPolicy: .bufferingNewest(4096))
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 2048)
            while !closed.load(ordering: .relaxed) {
                let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                guard count > 0 else { continue }
                let text = String(decoding: buffer[0..<count], as: UTF8.self)
                if let signal = ChangeSignal(encoded: Substring(text)) { continuation.yield(signal) }
            }
            continuation.finish()
        }
        thread.name = "change-signals"
        thread.start()
        return stream
    }

    func close() {
        if !closed.exchange(true, ordering: .relaxed) {
            shutdown(descriptor, Int32(SHUT_RDWR))
        }
    }
}

enum SignalSocketError: Error, CustomStringConvertible {
    case system(String, Int32)

    public var description: String {
        switch self {
        case .system(let call, let code): "\(call) failed: \(String(cString: strerror(code)))"
        }
    }
}
