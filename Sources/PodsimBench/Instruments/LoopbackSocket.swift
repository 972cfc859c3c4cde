#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PodsimServer

/// A blocking TCP connection to a pod on 127.0.0.1, for the bench's own lean HTTP/1.1: the
/// watchers' streams and the floor's round trips, with no client stack between the bench and
/// the kernel.
struct LoopbackSocket {
    let fd: Int32
    let port: Int

    /// Connects to the port of a `http://127.0.0.1:<port>…` URL, with Nagle off and a 10 s
    /// receive timeout.
    init(url: String) throws {
        guard let components = URLComponents(string: url), components.host == "127.0.0.1", let port = components.port else {
            throw BenchError("the bench connects to 127.0.0.1 only, not \(url)")
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in.loopback(port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw BenchError("connect to 127.0.0.1:\(port): \(reason)")
        }
        self.fd = fd
        self.port = port
    }

    /// Writes a GET for `path` (keep-alive) with these headers.
    func sendGet(_ path: String, headers: [String: String] = [:]) throws {
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        let bytes = Array((request + "\r\n").utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw BenchError("send: \(String(cString: strerror(errno)))") }
            sent += count
        }
    }

    /// Blocks until a response head arrived; returns its status, its header lines (lowercased)
    /// and the body bytes read past it.
    func readHead() throws -> (status: Int, headers: [String], rest: [UInt8]) {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { throw BenchError("127.0.0.1:\(port) closed or timed out before its response head") }
            received.append(contentsOf: chunk[..<count])
            if let head = Self.head(in: received) { return head }
        }
    }

    /// The response head at the start of `received`, once it is all there: its status, its header
    /// lines (lowercased) and the body bytes past it.
    static func head(in received: [UInt8]) -> (status: Int, headers: [String], rest: [UInt8])? {
        guard let end = received.firstRange(of: headTerminator) else { return nil }
        let lines = String(decoding: received[..<end.lowerBound], as: UTF8.self).split(separator: "\r\n")
        let status = lines.first.flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Int($0) } ?? 0
        return (status, lines.dropFirst().map { $0.lowercased() }, Array(received[end.upperBound...]))
    }

    private static let headTerminator: [UInt8] = Array("\r\n\r\n".utf8)

    /// One keep-alive GET whose response has a `content-length` body; returns the status.
    func roundTrip(_ path: String) throws -> Int {
        try sendGet(path)
        let (status, headers, rest) = try readHead()
        let length = headers.lazy.compactMap { line -> Int? in
            guard line.hasPrefix("content-length:") else { return nil }
            return Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
        }.first ?? 0
        var remaining = length - rest.count
        var chunk = [UInt8](repeating: 0, count: 4096)
        while remaining > 0 {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, min($0.count, remaining), 0) }
            guard count > 0 else { throw BenchError("127.0.0.1:\(port) closed mid-body") }
            remaining -= count
        }
        return status
    }

    func setNonBlocking() {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    func close() {
        Glibc.close(fd)
    }
}
