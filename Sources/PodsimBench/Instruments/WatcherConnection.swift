#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// One SSE frame a watcher received, stamped with the wall-clock time its bytes left `recv`.
struct ReceivedFrame: Sendable {
    var data: String
    var receivedAt: Double

    /// True for the frame that ends a run: the stream stays open across runs, so a watcher
    /// stops reading once it has seen it. (A plain byte search: the generic string searches
    /// cost more than the rest of the watcher's work per frame.)
    var isFinish: Bool {
        var data = data
        return data.withUTF8 { bytes in
            let marker = Self.finishMarker
            guard let base = bytes.baseAddress, bytes.count >= marker.count else { return false }
            for start in 0...(bytes.count - marker.count) where bytes[start] == marker[0] {
                if memcmp(base + start, marker, marker.count) == 0 { return true }
            }
            return false
        }
    }

    private static let finishMarker = Array(#""type":"finish""#.utf8)
}

/// One watcher's HTTP/1.1 connection to a pod's stream, spoken over a plain socket: the request
/// is written by hand, the response head parsed once, and the body undone from chunked coding
/// and SSE framing as bytes arrive. Owned by one thread; never shared.
struct WatcherConnection {
    let fd: Int32
    private(set) var frames: [ReceivedFrame] = []
    private(set) var finished = false
    private var body: ChunkedDecoder
    private var splitter = SSEFrameSplitter()
    private var payload: [UInt8] = []

    /// Connects, sends the GET and blocks until the response head arrived (the pod answers only
    /// once the watcher is subscribed). Throws unless the pod answered 200.
    static func open(url: String, headers: [String: String]) throws -> WatcherConnection {
        let socket = try LoopbackSocket(url: url)
        do {
            let components = URLComponents(string: url)
            let path = (components?.percentEncodedPath ?? "/") + (components?.percentEncodedQuery.map { "?\($0)" } ?? "")
            try socket.sendGet(path, headers: headers.merging(["accept": "text/event-stream"]) { $1 })
            let (status, lines, rest) = try socket.readHead()
            guard status == 200 else { throw BenchError("GET \(url) answered \(status)") }
            let chunked = lines.contains { $0.replacingOccurrences(of: " ", with: "") == "transfer-encoding:chunked" }
            var connection = WatcherConnection(fd: socket.fd, body: ChunkedDecoder(chunked: chunked))
            rest.withUnsafeBytes { connection.receive($0, at: preciseWallClockMillis()) }
            socket.setNonBlocking()
            return connection
        } catch {
            socket.close()
            throw error
        }
    }

    /// Reads what the socket has; returns false once there is nothing more to read from it
    /// (finish frame seen, body over, or connection gone).
    mutating func readAvailable(into buffer: UnsafeMutableRawBufferPointer) -> Bool {
        let count = recv(fd, buffer.baseAddress, buffer.count, 0)
        if count > 0 {
            receive(UnsafeRawBufferPointer(rebasing: buffer[..<count]), at: preciseWallClockMillis())
            return !finished
        }
        if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { return true }
        return false
    }

    private mutating func receive(_ bytes: UnsafeRawBufferPointer, at time: Double) {
        payload.removeAll(keepingCapacity: true)
        body.feed(bytes, into: &payload)
        payload.withUnsafeBytes { bytes in
            splitter.feed(bytes) { data in
                guard !finished else { return }
                let frame = ReceivedFrame(data: data, receivedAt: time)
                frames.append(frame)
                finished = frame.isFinish
            }
        }
        if body.isDone { finished = true }
    }

    func close() {
        Glibc.close(fd)
    }
}
